"""Hand-built plans for the renderer tests: every shape a reviewer meets."""

from __future__ import annotations

from reconciler.compare import SENSITIVE
from reconciler.plan import Action, Change, Plan, Unmanaged

REALM = "enterprise"


def change(
    kind: str,
    key: str,
    action: Action,
    *,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    paths: tuple[str, ...] = (),
    reason: str = "",
    destroys: int = 0,
    order: int = 0,
    phase: int = 0,
    deleted_by: str = "",
) -> Change:
    return Change(
        realm=REALM,
        kind=kind,
        key=key,
        action=action,
        address=f"{REALM}/{kind}/{key.lstrip('/')}",
        before=before,
        after=after,
        changed_paths=paths,
        reason=reason,
        phase=phase,
        destroys=destroys if action is not Action.DELETE else 1,
        order=order,
        deleted_by=deleted_by,
    )


def plan_of(changes: list[Change], unmanaged: list[Unmanaged] | None = None) -> Plan:
    return Plan(
        changes=changes,
        unmanaged=unmanaged or [],
        realms=[REALM],
        tool_version="0.1.0",
        server_version="26.0.7",
        stats={"requests": 42, "seconds": 1.25},
        fingerprints={c.address: None if c.action is Action.CREATE else "0123456789abcdef" for c in changes},
        desired_fingerprint="sha256:" + "ab" * 32,
        sources=["desired-state/enterprise.yaml"],
    )


def unmanaged(kind: str, key: str) -> Unmanaged:
    return Unmanaged(realm=REALM, kind=kind, key=key, address=f"{REALM}/{kind}/{key.lstrip('/')}")


CREATE_CLIENT = change(
    "client",
    "orders-api",
    Action.CREATE,
    reason="declared, not in Keycloak",
    order=1,
    phase=30,
    after={
        "clientId": "orders-api",
        "enabled": True,
        "publicClient": False,
        "secret": SENSITIVE,
        "redirectUris": ["https://orders.example.com/*"],
        "attributes": {"pkce.code.challenge.method": "S256", "access.token.lifespan": 300},
        "description": None,
        "protocolMappers": [
            {
                "name": "audience",
                "protocolMapper": "oidc-audience-mapper",
                "config": {"included.client.audience": "orders-api"},
            },
        ],
    },
    paths=(
        "attributes",
        "clientId",
        "description",
        "enabled",
        "protocolMappers",
        "publicClient",
        "redirectUris",
        "secret",
    ),
)

UPDATE_CLIENT = change(
    "client",
    "web",
    Action.UPDATE,
    reason="declared fields differ from Keycloak",
    order=2,
    phase=30,
    before={
        "enabled": False,
        "redirectUris": ["https://a.example.com/*", "https://c.example.com/*"],
        "attributes.access.token.lifespan": "60",
        "secret": SENSITIVE,
        "description": None,
    },
    after={
        "enabled": True,
        "redirectUris": ["https://b.example.com/*", "https://c.example.com/*"],
        "attributes.access.token.lifespan": "300",
        "secret": SENSITIVE,
        "description": "Web shop",
    },
    paths=("enabled", "redirectUris", "attributes.access.token.lifespan", "secret", "description"),
)

UPDATE_REALM_SMTP = Change(
    realm=REALM,
    kind="realm",
    key=REALM,
    action=Action.UPDATE,
    address=f"{REALM}/realm",
    before={"smtpServer.password": SENSITIVE},
    after={"smtpServer.password": SENSITIVE},
    changed_paths=("smtpServer.password",),
    reason="declared fields differ from Keycloak",
    phase=10,
    order=1,
)

DELETE_GROUP = change(
    "group",
    "/legacy",
    Action.DELETE,
    order=3,
    phase=50,
    reason="managed by kcr, no longer declared, and policy.prune includes groups",
    before={
        "name": "legacy",
        "path": "/legacy",
        "attributes": {"team": ["ops"]},
        "realmRoles": [],
        "subGroupCount": 0,
    },
)

DELETE_USER = change(
    "user",
    "old.bob",
    Action.DELETE,
    order=4,
    phase=60,
    reason="declared absent",
    before={
        "username": "old.bob",
        "email": "bob@example.com",
        "enabled": True,
        "firstName": "Bob",
        "credentials": [{"type": "password", "value": SENSITIVE}],
    },
)

ORG_MEMBER_DESTROY = change(
    "organization",
    "acme",
    Action.UPDATE,
    order=1,
    phase=70,
    reason="removing managed members carol, dave deletes their user accounts",
    before={"members": ["alice", "carol", "dave"]},
    after={"members": ["alice"]},
    paths=("members",),
)
ACCOUNTS_DESTROYED = [
    change(
        "user",
        name,
        Action.DELETE,
        order=order,
        phase=60,
        reason="deleted by Keycloak with enterprise/organization/acme: a managed member removed from "
        "its organization loses the account",
        before={"username": name, "email": f"{name}@acme.example.com", "enabled": True},
        deleted_by="enterprise/organization/acme",
    )
    for order, name in ((2, "carol"), (3, "dave"))
]

UNMANAGED = [unmanaged("group", "/hand-made"), unmanaged("client", "legacy-portal")]


def create_plan() -> Plan:
    return plan_of([CREATE_CLIENT])


def update_plan() -> Plan:
    return plan_of([UPDATE_CLIENT])


def delete_plan() -> Plan:
    return plan_of([DELETE_GROUP, DELETE_USER])


def sensitive_plan() -> Plan:
    return plan_of([UPDATE_REALM_SMTP])


def unmanaged_plan() -> Plan:
    return plan_of([CREATE_CLIENT], UNMANAGED)


def no_changes_plan() -> Plan:
    return plan_of([], UNMANAGED)


def org_member_destroy_plan() -> Plan:
    return plan_of([ORG_MEMBER_DESTROY, *ACCOUNTS_DESTROYED])


def mixed_plan() -> Plan:
    return plan_of([UPDATE_REALM_SMTP, CREATE_CLIENT, UPDATE_CLIENT, DELETE_GROUP, DELETE_USER], UNMANAGED)


PLANS = {
    "create": create_plan,
    "update": update_plan,
    "delete": delete_plan,
    "sensitive": sensitive_plan,
    "unmanaged": unmanaged_plan,
    "no_changes": no_changes_plan,
    "org_member_destroy": org_member_destroy_plan,
    "mixed": mixed_plan,
}
