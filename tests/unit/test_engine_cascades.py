"""``reconciler.engine.diff_realm``: objects Keycloak deletes along with a change of kcr's become
deletes of their own (counted, never "unmanaged"), once each, and never of a declared object."""

from __future__ import annotations

from typing import Any, cast

import pytest

from reconciler.desired.state import DesiredRealm
from reconciler.engine import diff_realm
from reconciler.errors import PlanError
from reconciler.keycloak.client import AdminClient
from reconciler.kinds.base import LiveRealm
from reconciler.kinds.group import GroupKind
from reconciler.plan import Action

GROUPS = GroupKind()
NO_API = cast(AdminClient, None)  # nothing here makes a request


def group(path: str) -> dict[str, Any]:
    return {"name": path.rsplit("/", 1)[1], "attributes": {}, "realmRoles": [], "clientRoles": {}, "id": path}


def live(*paths: str, managed: set[str] | None = None) -> LiveRealm:
    return LiveRealm(
        name="r",
        exists=True,
        objects={"group": {p: group(p) for p in paths}},
        managed={"groups": managed or set()},
    )


def realm(spec: dict[str, Any], prune: bool = False) -> DesiredRealm:
    desired = DesiredRealm(name="r", spec=spec)
    if prune:
        desired.policy = type(desired.policy)(prune=frozenset({"groups"}))
    return desired


def test_pruning_a_group_deletes_its_hand_made_subgroups_as_changes_of_their_own() -> None:
    state = live(
        "/team", "/team/hand", "/team/hand/deep", "/team/kcr", "/other", managed={"/team", "/team/kcr"}
    )
    changes, unmanaged, fingerprints = diff_realm(NO_API, realm({}, prune=True), state, [GROUPS])
    by_address = {c.address: c for c in changes}
    assert sorted(by_address) == [
        "r/group/team",
        "r/group/team/hand",
        "r/group/team/hand/deep",
        "r/group/team/kcr",
    ]
    assert all(c.action is Action.DELETE and c.destroys == 1 for c in changes)
    # the managed subgroup is pruned for its own sake; the hand-made ones go with their parent
    assert by_address["r/group/team/kcr"].deleted_by == ""
    assert by_address["r/group/team/hand"].deleted_by == "r/group/team"
    assert by_address["r/group/team/hand/deep"].reason.startswith("deleted by Keycloak with r/group/team: ")
    assert [u.address for u in unmanaged] == ["r/group/other"]
    assert fingerprints["r/group/team/hand"] == GROUPS.fingerprint(group("/team/hand"))


def test_a_side_effect_that_deletes_a_declared_object_is_refused() -> None:
    spec = {"groups": [{"name": "team", "state": "absent", "subGroups": [{"name": "kept"}]}]}
    with pytest.raises(PlanError, match=r"r/group/team: Keycloak deletes r/group/team/kept .* is declared"):
        diff_realm(NO_API, realm(spec), live("/team", "/team/kept"), [GROUPS])


def test_a_declared_absent_child_is_deleted_once() -> None:
    spec = {
        "groups": [{"name": "team", "state": "absent", "subGroups": [{"name": "old", "state": "absent"}]}]
    }
    changes, _, _ = diff_realm(NO_API, realm(spec), live("/team", "/team/old"), [GROUPS])
    assert sorted((c.address, c.deleted_by) for c in changes) == [
        ("r/group/team", ""),
        ("r/group/team/old", ""),
    ]
