"""What Keycloak 26.7 does with the declarative user profile through the Admin API, each fact proven
here.

Kind facts (the user-profile kind relies on them):

- ``GET /users/profile`` returns the realm's UPConfig: ``attributes`` (an ordered list: the form's
  order), ``groups``, and ``unmanagedAttributePolicy`` only when set (absent means DISABLED). A new
  realm declares ``username``, ``email``, ``firstName``, ``lastName`` and the group ``user-metadata``.
- ``PUT /users/profile`` **replaces the whole config** (200, with the stored config as its body) and
  fills in ``multivalued: false`` on every attribute that does not say; ``groups`` sent absent read
  back as ``[]``. ``username`` and ``email`` cannot be removed (400 "The attribute 'email' can not be
  removed").
- A realm export writes the profile only once it was changed: as the component
  ``components["org.keycloak.userprofile.UserProfileProvider"][0]`` with provider
  ``declarative-user-profile`` and the whole config as one JSON string in
  ``config["kc.user.profile.config"][0]``; an untouched realm has no such component.
- An attribute that the profile does not declare is dropped silently on user writes (204) while the
  policy is DISABLED; a declared attribute is stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.errors import BadRequest
from reconciler.keycloak.client import AdminClient, seg

pytestmark = pytest.mark.integration

PROVIDER = "org.keycloak.userprofile.UserProfileProvider"


def _export(api: AdminClient, realm: str) -> dict[str, Any]:
    exported: dict[str, Any] = api.post(f"/{seg(realm)}/partial-export").json()
    return exported


def test_the_default_profile_and_a_replacement(admin_api: AdminClient, empty_realm: str) -> None:
    path = f"/{seg(empty_realm)}/users/profile"
    default = admin_api.get(path)
    assert [a["name"] for a in default["attributes"]] == ["username", "email", "firstName", "lastName"]
    assert [g["name"] for g in default["groups"]] == ["user-metadata"]
    assert "unmanagedAttributePolicy" not in default
    assert PROVIDER not in _export(admin_api, empty_realm).get("components", {})

    tenant = {
        "name": "tenant",
        "displayName": "Tenant",
        "permissions": {"view": ["admin"], "edit": ["admin"]},
        "validations": {"length": {"max": 20}},
    }
    answer = admin_api.put(path, {"attributes": [{"name": "username"}, {"name": "email"}, tenant]})
    stored = admin_api.get(path)
    assert answer.json() == stored
    assert stored == {
        "attributes": [
            {"name": "username", "multivalued": False},
            {"name": "email", "multivalued": False},
            {**tenant, "multivalued": False},
        ],
        "groups": [],
    }
    (component,) = _export(admin_api, empty_realm)["components"][PROVIDER]
    assert component["providerId"] == "declarative-user-profile"
    assert json.loads(component["config"]["kc.user.profile.config"][0]) == stored

    with pytest.raises(BadRequest, match="'email' can not be removed"):
        admin_api.put(path, {"attributes": [{"name": "username"}, tenant]})

    user = {"username": "carol", "enabled": True, "attributes": {"tenant": ["acme"], "undeclared": ["x"]}}
    user_id = admin_api.create(f"/{seg(empty_realm)}/users", user)
    assert admin_api.get(f"/{seg(empty_realm)}/users/{user_id}")["attributes"] == {"tenant": ["acme"]}
