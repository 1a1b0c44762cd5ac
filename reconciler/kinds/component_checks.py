"""Offline checks of declared ``components`` that are not references (the component kind's
``check_declared``): names free of ``/`` (kcr's keys join them with it), a ``providerId`` on everything
kcr may have to create, a warning naming each declared secret that cannot be compared, and an export's
masked secret (``**********``) dropped with a warning, as a client's is. Duplicate names within one
parent and provider type are reported with every kind's names (``Kind.declared_names``).
"""

from __future__ import annotations

from reconciler.desired.declared import Declared, Findings, problem
from reconciler.kinds.component_types import MASK, ComponentType


def check_component(obj: Declared, ctype: ComponentType, *, absent: bool, found: Findings) -> None:
    """One declared component (``absent``: it, or its parent, is declared ``state: absent``)."""
    name = obj.name
    if name is None:
        return
    if "/" in name:
        found.error(
            obj.origin,
            ("name",),
            "a component's name must not contain '/'",
            "rename it (kcr names components by provider type, parent and name)",
        )
        return
    if absent:
        return
    if not obj.spec.get("providerId"):
        found.error(
            obj.origin,
            (),
            f"component {name!r} needs a providerId (Keycloak needs it to create the component)",
            "add providerId: ... (e.g. ldap, rsa-generated, group-ldap-mapper)",
        )
    config = obj.spec.get("config") or {}
    for secret in sorted(k for k in config if k in ctype.secrets):
        where = ("config", secret)
        if config[secret] in ([MASK], MASK):
            # An export's mask is not the secret: written, it would become the secret.
            del config[secret]
            found.warnings.append(
                problem(
                    obj.origin,
                    where,
                    f"the masked {secret} of an export ('{MASK}') is not the secret: ignored",
                    f"declare it as {secret}: ${{env:NAME}} to manage it; left out, Keycloak keeps the "
                    "stored one",
                    key=True,
                )
            )
            continue
        found.warnings.append(
            problem(
                obj.origin,
                where,
                f"{secret} is write-only: Keycloak never returns it, so kcr cannot compare it; it is "
                "written when the component is created and with every other update of it",
                "to change only the secret, change it in Keycloak or recreate the component",
                key=True,
            )
        )
