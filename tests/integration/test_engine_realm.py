"""The engine and apply loop on the realm kind, against a real Keycloak."""

from __future__ import annotations

import pytest

from reconciler.apply import apply_plan
from reconciler.desired.state import DesiredRealm, DesiredState
from reconciler.engine import make_plan
from reconciler.keycloak.client import AdminClient, seg
from reconciler.kinds.realm import RealmKind
from reconciler.plan import Action

pytestmark = pytest.mark.integration
ONLY_REALM = [RealmKind()]


def state(name: str, **settings: object) -> DesiredState:
    return DesiredState(realms={name: DesiredRealm(name=name, spec={"realm": name, **settings})})


def test_missing_realm_is_a_plan_to_create_it(admin_api: AdminClient, fresh_realm: str) -> None:
    desired = state(fresh_realm, displayName="Fresh", accessTokenLifespan=600)
    plan, lives = make_plan(admin_api, desired, kinds=ONLY_REALM)
    assert [(c.action, c.address) for c in plan.changes] == [(Action.CREATE, f"{fresh_realm}/realm")]
    assert not lives[fresh_realm].exists
    apply_plan(admin_api, plan, desired, lives)
    rep = admin_api.get(f"/{seg(fresh_realm)}")
    assert (rep["displayName"], rep["accessTokenLifespan"], rep["enabled"]) == ("Fresh", 600, True)
    again, _ = make_plan(admin_api, desired, kinds=ONLY_REALM)
    assert again.changes == []


def test_one_changed_setting_is_exactly_one_change(admin_api: AdminClient, empty_realm: str) -> None:
    desired = state(
        empty_realm,
        bruteForceProtected=True,
        attributes={"frontendUrl": ""},
        accessTokenLifespan=300,
        eventsListeners=["jboss-logging"],
    )
    plan, lives = make_plan(admin_api, desired, kinds=ONLY_REALM)
    # accessTokenLifespan 300 and the jboss-logging listener are Keycloak's defaults: no change there.
    assert [c.changed_paths for c in plan.changes] == [("bruteForceProtected",)]
    assert plan.changes[0].before == {"bruteForceProtected": False}
    assert plan.changes[0].after == {"bruteForceProtected": True}
    apply_plan(admin_api, plan, desired, lives)

    writes_before = sum(n for m, n in admin_api.requests.items() if m not in ("GET", "EXPORT", "TOKEN"))
    second, lives2 = make_plan(admin_api, desired, kinds=ONLY_REALM)
    apply_plan(admin_api, second, desired, lives2)
    writes_after = sum(n for m, n in admin_api.requests.items() if m not in ("GET", "EXPORT", "TOKEN"))
    assert second.changes == []
    assert writes_after == writes_before


def test_realm_attributes_merge_and_keep_undeclared_keys(admin_api: AdminClient, empty_realm: str) -> None:
    live = admin_api.get(f"/{seg(empty_realm)}")
    live["attributes"] = {**live.get("attributes", {}), "by-hand": "kept"}
    admin_api.put(f"/{seg(empty_realm)}", live)
    desired = state(empty_realm, attributes={"ours": True})
    plan, lives = make_plan(admin_api, desired, kinds=ONLY_REALM)
    assert [c.changed_paths for c in plan.changes] == [("attributes.ours",)]
    apply_plan(admin_api, plan, desired, lives)
    attributes = admin_api.get(f"/{seg(empty_realm)}")["attributes"]
    assert attributes["by-hand"] == "kept"
    assert attributes["ours"] == "true"
