"""What Keycloak 26.7 does with required actions through the Admin API, each fact proven here.

Kind facts (the required-action kind relies on them):

- ``GET /authentication/required-actions`` lists the registered actions in the realm-export shape:
  ``{alias, name, providerId, enabled, defaultAction, priority, config}``; ``config`` is always present
  (``{}`` when empty). A new realm has 14 registered (26.0 and 26.2: 11, with other priorities; 26.4 to
  26.6 other priorities: ``built_in`` in the kind), ordered by ``priority``; some are registered but
  disabled (``TERMS_AND_CONDITIONS``, ``delete_account``, ``UPDATE_EMAIL``).
- ``PUT /required-actions/{alias}`` **replaces the whole action**: a body without ``alias``, ``name`` or
  ``priority`` nulls them (the action then cannot be found by its alias any more). An update must GET,
  overlay the declared fields and PUT the whole object back.
- ``priority`` is written directly by that PUT (no need for ``raise-priority`` / ``lower-priority``,
  which swap an action with its neighbour). ``config`` is written by the same PUT, stored as given,
  and read back through the action (``GET .../{alias}/config`` shows it too).
- ``DELETE /required-actions/{alias}`` unregisters the action; it then appears in
  ``GET /authentication/unregistered-required-actions`` as ``{providerId, name}``.
  ``POST /authentication/register-required-action`` with ``{providerId, name}`` registers it again,
  with ``alias = providerId``, ``enabled: true``, ``defaultAction: false`` and the priority after the
  last one: a declared action that is not registered is registered, then PUT with its declared fields.
- A fresh realm has no unregistered action: every built-in provider is registered.
- ``defaultAction: true`` gives every user created afterwards the action to complete; the direct grant
  refuses a user with any pending action, even a disabled one ("Account is not fully set up").
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.kinds.required_action import built_in
from reconciler.versions import REQUIRED_ACTIONS_26_4, has

pytestmark = pytest.mark.integration

FIELDS = {"alias", "name", "providerId", "enabled", "defaultAction", "priority", "config"}


Realm = tuple[str, list[Any]]


def _base(realm: str) -> str:
    return f"/{seg(realm)}/authentication"


@pytest.fixture(scope="module")
def realm(admin_api: AdminClient, module_realm: str) -> Realm:
    """The module's realm and its actions as created (each test changes other actions)."""
    return module_realm, admin_api.get(f"{_base(module_realm)}/required-actions")


def test_a_new_realm_registers_every_built_in_action(admin_api: AdminClient, realm: Realm) -> None:
    name, actions = realm
    server = admin_api.server_info()
    # 14 from 26.4 on (26.0 and 26.2: 11, with other priorities): the kind's table for this version
    assert {a["alias"]: (a["name"], a["enabled"], a["priority"]) for a in actions} == built_in(server)
    assert len(actions) == (14 if has(server, REQUIRED_ACTIONS_26_4) else 11)
    assert [a["priority"] for a in actions] == sorted(a["priority"] for a in actions)
    for action in actions:
        assert set(action) == FIELDS
        assert action["alias"] == action["providerId"]
        assert action["config"] == {}
        assert action["defaultAction"] is False
    assert admin_api.get(f"{_base(name)}/unregistered-required-actions") == []


def test_put_replaces_the_whole_action(admin_api: AdminClient, realm: Realm) -> None:
    base = _base(realm[0])
    admin_api.put(f"{base}/required-actions/TERMS_AND_CONDITIONS", {"enabled": True})
    with pytest.raises(NotFound):
        admin_api.get(f"{base}/required-actions/TERMS_AND_CONDITIONS")
    damaged = next(
        a for a in admin_api.get(f"{base}/required-actions") if a["providerId"] == "TERMS_AND_CONDITIONS"
    )
    assert set(damaged) == FIELDS - {"alias", "name"}
    assert (damaged["priority"], damaged["enabled"]) == (0, True)


def test_priority_name_and_config_are_written_by_put(admin_api: AdminClient, realm: Realm) -> None:
    base = _base(realm[0])
    path = f"{base}/required-actions/UPDATE_PASSWORD"
    action = admin_api.get(path)
    admin_api.put(
        path,
        {**action, "priority": 5, "name": "Change your password", "config": {"max_auth_age": "600"}},
    )
    assert admin_api.get(path) == {
        **action,
        "priority": 5,
        "name": "Change your password",
        "config": {"max_auth_age": "600"},
    }
    assert admin_api.get(f"{path}/config") == {"config": {"max_auth_age": "600"}}
    order = [a.get("alias") for a in admin_api.get(f"{base}/required-actions")]
    assert order.index("UPDATE_PASSWORD") < order.index("UPDATE_PROFILE")  # listed by priority


def test_raise_priority_swaps_with_the_neighbour(admin_api: AdminClient, realm: Realm) -> None:
    base = _base(realm[0])
    admin_api.post(f"{base}/required-actions/VERIFY_PROFILE/raise-priority")
    priorities = {a["providerId"]: a["priority"] for a in admin_api.get(f"{base}/required-actions")}
    # its neighbour before it on every version; 90 and 100 from 26.4 on, 80 and 90 before
    table = built_in(admin_api.server_info())
    neighbour, itself = table["webauthn-register-passwordless"][2], table["VERIFY_PROFILE"][2]
    assert (priorities["VERIFY_PROFILE"], priorities["webauthn-register-passwordless"]) == (neighbour, itself)


def test_unregister_and_register_again(admin_api: AdminClient, realm: Realm) -> None:
    base = _base(realm[0])
    admin_api.delete(f"{base}/required-actions/delete_account")
    assert admin_api.get(f"{base}/unregistered-required-actions") == [
        {"providerId": "delete_account", "name": "Delete Account"}
    ]
    admin_api.post(f"{base}/register-required-action", {"providerId": "delete_account", "name": "Delete it"})
    registered = admin_api.get(f"{base}/required-actions/delete_account")
    assert registered == {
        "alias": "delete_account",
        "name": "Delete it",
        "providerId": "delete_account",
        "enabled": True,
        "defaultAction": False,
        "priority": 1001,
        "config": {},
    }
    assert admin_api.get(f"{base}/unregistered-required-actions") == []
