"""The export's files: read a realm with ``read_all``, let every kind build its part, write the files.
See the package docstring for what the export leaves out; each kind's builder is its ``export``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.desired.state import DesiredRealm
from reconciler.errors import KcrError
from reconciler.export.yaml_text import Hint, dump_document, dump_stream
from reconciler.keycloak.client import AdminClient
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import LiveRealm
from reconciler.kinds.client import SERVICE_ACCOUNT_MAPPERS
from reconciler.live import read_live
from reconciler.versions import SERVICE_ACCOUNT_SCOPE, has

ALWAYS = "realm.yaml"  # written even when empty: it names the realm


# Every export file, in the phase order of the kinds that write them.
FILE_ORDER: tuple[str, ...] = tuple(
    dict.fromkeys(name for kind in sorted(REGISTRY, key=lambda k: k.phase) for name in kind.export_files)
)


@dataclass(frozen=True)
class ExportFile:
    name: str  # "clients.yaml"
    document: dict[str, Any]

    @property
    def hints(self) -> int:
        """How many fields were left out with a comment (secrets)."""
        return _count_hints(self.document)

    def text(self, realm: str) -> str:
        header = f"{self.name}: realm {realm}, exported by kcr export. Review, then commit."
        return dump_document(self.document, header=header)


def _count_hints(value: Any) -> int:
    if isinstance(value, Hint):
        return 1
    if isinstance(value, Mapping):
        return sum(_count_hints(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_hints(v) for v in value)
    return 0


# -- reading ----------------------------------------------------------------------------------------
def read_realm(api: AdminClient, realm: str) -> LiveRealm:
    """Every object of the realm, memberships included (GET only)."""
    live = read_live(api, DesiredRealm(name=realm, spec={"realm": realm}), read_all=True)
    if not live.exists:
        raise KcrError(f"realm {realm!r} does not exist on the server: nothing to export")
    return live


def export_realm(api: AdminClient, realm: str, *, include_users: bool = False) -> list[ExportFile]:
    live = read_realm(api, realm)
    if not has(api.server_info(), SERVICE_ACCOUNT_SCOPE):
        _drop_service_account_mappers(live)
    return build_files(live, include_users=include_users)


def _drop_service_account_mappers(live: LiveRealm) -> None:
    """Before 26.2 Keycloak puts the service-account mappers on the client itself: Keycloak's own, so
    not exported (the client kind leaves them be unless declared)."""
    for obj in live.of("client").values():
        if obj.get("serviceAccountsEnabled"):
            mappers = obj.get("protocolMappers") or []
            obj["protocolMappers"] = [m for m in mappers if m.get("name") not in SERVICE_ACCOUNT_MAPPERS]


# -- building documents (pure) ----------------------------------------------------------------------
def build_files(live: LiveRealm, *, include_users: bool = False) -> list[ExportFile]:
    """The export of one realm read by ``read_realm``: one document per file, empty files left out."""
    bodies: dict[str, dict[str, Any]] = {name: {} for name in FILE_ORDER}
    for kind in sorted(REGISTRY, key=lambda k: k.phase):
        for file_name, part in kind.export(live, include_users=include_users).items():
            bodies[file_name].update(part)
    files = []
    for file_name in FILE_ORDER:
        body = {k: v for k, v in bodies[file_name].items() if v}
        if body or file_name == ALWAYS:
            files.append(ExportFile(file_name, {"realm": live.name, **body}))
    return files


# output ----------------------------------------------------------------------------------------------
def write_files(files: list[ExportFile], realm: str, out_dir: str | Path) -> list[Path]:
    """Write the files under ``out_dir/<realm>/``; export files of an earlier run that this export has
    no content for are removed (only those names: other files in the folder are left alone)."""
    folder = Path(out_dir) / realm
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        path = folder / f.name
        path.write_text(f.text(realm), encoding="utf-8")
        written.append(path)
    for stale in set(FILE_ORDER) - {f.name for f in files}:
        (folder / stale).unlink(missing_ok=True)
    return written


def render_stream(files: list[ExportFile], realm: str) -> str:
    return dump_stream([(f"{f.name}: realm {realm}, exported by kcr export", f.document) for f in files])
