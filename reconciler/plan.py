"""The plan: ordered, frozen operations, and its stable JSON form (``format_version`` 1).

A Change never holds a secret: ``before``/``after`` are redacted by the kind that made it. Executors
take secret values from the desired state at apply time, never from the plan.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.__about__ import __version__
from reconciler.errors import PlanError

FORMAT_VERSION = "1"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class Change:
    realm: str
    kind: str  # registry name of the kind: realm, client-scope, client, role, group, user, organization
    key: str  # the object's name within its kind: clientId, group path, username, ...
    action: Action
    address: str  # "enterprise/client/orders-api"
    before: dict[str, Any] | None  # the declared fields as they are live (redacted); None on create
    after: dict[str, Any] | None  # the declared fields as they will be (redacted); None on delete
    changed_paths: tuple[str, ...] = ()
    reason: str = ""
    phase: int = 0
    # Objects this change deletes: 1 for a delete, else 0.
    destroys: int = 0
    order: int = 0
    # On a delete that Keycloak makes as a side effect of another change (a subgroup of a deleted
    # group, the account of a removed managed organization member): that change's address.
    deleted_by: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["action"] = self.action.value
        data["changed_paths"] = list(self.changed_paths)
        data["actions"] = [self.action.value]
        data["type"] = self.kind
        data["action_reason"] = self.reason
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            realm=data["realm"],
            kind=data["kind"],
            key=data["key"],
            action=Action(data["action"]),
            address=data["address"],
            before=data.get("before"),
            after=data.get("after"),
            changed_paths=tuple(data.get("changed_paths", ())),
            reason=data.get("reason", ""),
            phase=int(data.get("phase", 0)),
            destroys=int(data.get("destroys", 0)),
            order=int(data.get("order", 0)),
            deleted_by=str(data.get("deleted_by", "")),
        )


@dataclass(frozen=True)
class Unmanaged:
    """A live object that no file declares and that this plan leaves alone."""

    realm: str
    kind: str
    key: str
    address: str


@dataclass
class Plan:
    changes: list[Change]
    unmanaged: list[Unmanaged] = field(default_factory=list)
    # address -> fingerprint of the live object the plan was computed against (None: did not exist)
    fingerprints: dict[str, str | None] = field(default_factory=dict)
    desired_fingerprint: str = ""
    sources: list[str] = field(default_factory=list)
    realms: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    server_version: str = ""
    tool_version: str = __version__
    format_version: str = FORMAT_VERSION

    @property
    def summary(self) -> dict[str, int]:
        return {
            "add": sum(1 for c in self.changes if c.action is Action.CREATE),
            "change": sum(1 for c in self.changes if c.action is Action.UPDATE),
            "destroy": sum(1 for c in self.changes if c.action is Action.DELETE),
        }

    @property
    def deletes(self) -> int:
        """Objects this plan deletes, those that Keycloak deletes along with others included."""
        return sum(c.destroys for c in self.changes)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "tool_version": self.tool_version,
            "server_version": self.server_version,
            "realms": self.realms,
            "sources": self.sources,
            "summary": self.summary,
            "resource_changes": [c.to_json() for c in self.changes],
            "unmanaged": [asdict(u) for u in self.unmanaged],
            "fingerprints": self.fingerprints,
            "desired_fingerprint": self.desired_fingerprint,
            "stats": self.stats,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        version = str(data.get("format_version", ""))
        if version != FORMAT_VERSION:
            raise PlanError(
                f"Saved plan has format_version {version!r}; this kcr reads "
                f"{FORMAT_VERSION!r}. Make the plan again with this version of kcr."
            )
        try:
            return cls(
                changes=[Change.from_json(c) for c in data["resource_changes"]],
                unmanaged=[Unmanaged(**u) for u in data.get("unmanaged", [])],
                fingerprints=dict(data.get("fingerprints", {})),
                desired_fingerprint=data.get("desired_fingerprint", ""),
                sources=list(data.get("sources", [])),
                realms=list(data.get("realms", [])),
                stats=dict(data.get("stats", {})),
                server_version=data.get("server_version", ""),
                tool_version=data.get("tool_version", ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanError(f"Saved plan is not a kcr plan file: {exc}") from None

    @classmethod
    def load(cls, path: str) -> Plan:
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as exc:
            raise PlanError(f"Cannot read saved plan {path}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise PlanError(f"{path}:{exc.lineno}:{exc.colno}: not a JSON plan file: {exc.msg}") from None
        if not isinstance(data, dict):
            raise PlanError(f"{path}: not a kcr plan file")
        return cls.from_json(data)
