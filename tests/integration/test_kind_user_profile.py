"""The user-profile kind against a real Keycloak: declared as configured is no change, one field at a time
is exactly that change, apply then plan is no change, an attribute left out is removed, an export of a
profile configured by hand plans as no change, and an attribute declared by kcr is stored on a user while
an undeclared one is refused; Keycloak's own export of a profile (a component with a JSON string) applies as
written."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired.profile_component import PROVIDER_TYPE as PROVIDER
from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.kinds.user_profile import POLICY
from reconciler.plan import Action
from tests.integration.conftest import Kcr

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
BUILT_IN = [{"name": "username"}, {"name": "email"}, {"name": "firstName"}, {"name": "lastName"}]
TENANT = {
    "name": "tenant",
    "displayName": "Tenant",
    "permissions": {"view": ["admin"], "edit": ["admin"]},
    "validations": {"length": {"max": 20}},
}


def _changes(kcr: Kcr) -> list[tuple[str, Action, tuple[str, ...]]]:
    return [(c.kind, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def test_declared_as_configured_then_one_field_at_a_time(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    doc: Doc = {"realm": empty_realm, "userProfile": {"attributes": copy.deepcopy(BUILT_IN)}}
    kcr.write(doc)
    assert _changes(kcr) == []

    steps: list[tuple[str, Any, str]] = [
        ("add", TENANT, "attributes[tenant]"),
        ("displayName", "Tenant id", "attributes[tenant].displayName"),
        ("validations", {"length": {"max": 30}}, "attributes[tenant].validations.length.max"),
        ("policy", "ADMIN_EDIT", "unmanagedAttributePolicy"),
        ("order", None, "attributes.order"),
        ("remove", None, "attributes[tenant]"),
    ]
    for step, value, path in steps:
        doc = copy.deepcopy(doc)
        attributes = doc["userProfile"]["attributes"]
        if step == "add":
            attributes.append(copy.deepcopy(value))
        elif step == "policy":
            doc["userProfile"]["unmanagedAttributePolicy"] = value
        elif step == "order":
            attributes.insert(2, attributes.pop())
        elif step == "remove":
            attributes[:] = [a for a in attributes if a["name"] != "tenant"]
        else:
            next(a for a in attributes if a["name"] == "tenant")[step] = value
        kcr.write(doc)
        assert _changes(kcr) == [("user-profile", Action.UPDATE, (path,))], step
        kcr.apply_converged()

    stored = admin_api.get(f"/{seg(empty_realm)}/users/profile")
    assert [a["name"] for a in stored["attributes"]] == ["username", "email", "firstName", "lastName"]
    assert stored["unmanagedAttributePolicy"] == "ADMIN_EDIT"
    assert stored["attributes"][0]["validations"]["length"] == {"min": 3, "max": 255}  # undeclared: kept


def test_export_of_a_profile_configured_by_hand_plans_no_change(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    path = f"/{seg(empty_realm)}/users/profile"
    profile = admin_api.get(path)
    admin_api.put(path, {**profile, "attributes": [*profile["attributes"], TENANT]})
    exported = kcr.run("export", "--realm", empty_realm, "--out", str(tmp_path))
    assert exported.exit_code == 0, exported.output
    assert "tenant" in (tmp_path / empty_realm / "user-profile.yaml").read_text(encoding="utf-8")
    planned = kcr.run("plan", str(tmp_path / empty_realm), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output


def test_an_attribute_declared_by_kcr_is_stored_and_an_undeclared_one_refused(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    user = {"username": "dana", "attributes": {"tenant": "acme"}}
    doc: Doc = {"realm": fresh_realm, "userProfile": {"attributes": [*BUILT_IN, TENANT]}, "users": [user]}
    kcr.write(doc)
    kcr.apply_converged()
    (stored,) = admin_api.get(f"/{seg(fresh_realm)}/users", {"username": "dana", "exact": "true"})
    assert stored["attributes"] == {"tenant": ["acme"]}

    user["attributes"] = {"tenant": "acme", "costCenter": "42"}
    kcr.write(doc)
    result = kcr.run("validate", kcr.path)
    assert result.exit_code == 1
    assert "attribute 'costCenter' is not in the declared userProfile" in result.output

    doc["userProfile"]["attributes"] = [{"name": "username"}, TENANT]
    kcr.write(doc)
    result = kcr.run("validate", kcr.path)
    assert "userProfile.attributes must keep 'email'" in result.output


def test_a_keycloak_export_of_the_profile_applies_then_plans_no_change(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    """Keycloak's own partial export writes the profile as a component holding a JSON string: applied
    to a new realm it makes the same profile, and a change inside the string plans as that field."""
    path = f"/{seg(empty_realm)}/users/profile"
    profile = admin_api.get(path)
    admin_api.put(path, {**profile, "attributes": [*profile["attributes"], TENANT], POLICY: "ADMIN_VIEW"})
    exported = admin_api.post(f"/{seg(empty_realm)}/partial-export").json()
    (component,) = exported["components"][PROVIDER]
    assert isinstance(component["config"]["kc.user.profile.config"][0], str)
    copy_realm = f"{empty_realm}-copy"
    exported["realm"] = copy_realm
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "realm.json").write_text(json.dumps(exported, indent=2), encoding="utf-8")
    try:
        applied = kcr.run("apply", str(folder), "--auto-approve")
        assert applied.exit_code == 0, applied.output
        assert f"+ {copy_realm}/user-profile: done" in applied.output
        assert admin_api.get(f"/{seg(copy_realm)}/users/profile") == admin_api.get(path)
        planned = kcr.run("plan", str(folder), "--detailed-exitcode")
        assert planned.exit_code == 0, planned.output
        assert "No changes." in planned.output

        stored = json.loads(component["config"]["kc.user.profile.config"][0])
        next(a for a in stored["attributes"] if a["name"] == "tenant")["displayName"] = "Tenant id"
        component["config"]["kc.user.profile.config"] = [json.dumps(stored)]
        (folder / "realm.json").write_text(json.dumps(exported, indent=2), encoding="utf-8")
        planned = kcr.run("plan", str(folder), "--detailed-exitcode")
        assert planned.exit_code == 2, planned.output
        assert "~ attributes[tenant].displayName" in planned.output
        assert "Plan: 0 to add, 1 to change, 0 to destroy." in planned.output
    finally:
        with contextlib.suppress(NotFound):
            admin_api.delete(f"/{seg(copy_realm)}")
