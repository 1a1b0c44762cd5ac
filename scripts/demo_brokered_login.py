#!/usr/bin/env python3
"""Demo of the corporate identity provider of the shipped desired-state (run by `make demo`).

The Contoso employee `erin` types her email on the login page of realm `enterprise`; the organization
link sends the browser to Contoso's IdP (the stand-in realm of scripts/corporate-idp/), she signs in
there and accepts the terms of use back in `enterprise` (her first login). The account the broker made
is then read through the Admin API: a MANAGED member of the organization `contoso`, in the group
/contoso, with the attributes the identity provider's mappers set. No token or secret is printed.

Environment: KEYCLOAK_URL and the KEYCLOAK_CLIENT_ID/KEYCLOAK_CLIENT_SECRET (or KEYCLOAK_USER/PASSWORD)
of an admin, CONTOSO_EMPLOYEE_PASSWORD; optionally DEMO_EMPLOYEE_EMAIL (erin@contoso.example.com).
"""

from __future__ import annotations

import json
import os
import sys

from reconciler.errors import KcrError
from reconciler.keycloak.client import AdminClient
from reconciler.keycloak.settings import ConnectionSettings
from reconciler.testing.broker import Broker
from reconciler.testing.oidc import LoginError, unverified_claims

REALM, ALIAS, UPSTREAM, CLIENT = "enterprise", "contoso-corporate", "contoso-corporate", "enterprise-broker"


def main() -> None:
    password = os.environ.get("CONTOSO_EMPLOYEE_PASSWORD")
    if not password:
        sys.exit("demo: set CONTOSO_EMPLOYEE_PASSWORD (scripts/corporate-idp/contoso.yaml)")
    email = os.environ.get("DEMO_EMPLOYEE_EMAIL", "erin@contoso.example.com")
    settings = ConnectionSettings.from_env()
    broker = Broker(settings.url.rstrip("/"), REALM, ALIAS, UPSTREAM, CLIENT)
    try:
        tokens = broker.login(email, password, hint=False)
    except LoginError as exc:
        sys.exit(f"demo: {exc} (are desired-state/ and scripts/corporate-idp/ applied?)")
    username = unverified_claims(tokens["access_token"])["preferred_username"]
    print(
        f"\n== {email} typed on the {REALM} login page, signed in at {UPSTREAM}: now {username!r} in {REALM}"
    )
    try:
        with AdminClient(settings) as api:
            (user,) = api.get(f"/{REALM}/users", {"username": username, "exact": "true"})
            (org,) = [
                o
                for o in api.get(f"/{REALM}/organizations", {"search": "contoso"})
                if o["alias"] == "contoso"
            ]
            members = api.get(f"/{REALM}/organizations/{org['id']}/members")
            groups = api.get(f"/{REALM}/users/{user['id']}/groups")
    except KcrError as exc:
        sys.exit(f"demo: {exc}")
    membership = next((m.get("membershipType") for m in members if m["id"] == user["id"]), None)
    shown = {
        "organization contoso": membership,
        "groups": [g["path"] for g in groups],
        "attributes": {
            k: v for k, v in (user.get("attributes") or {}).items() if k in ("tenant", "department")
        },
    }
    print(json.dumps(shown, indent=2))


if __name__ == "__main__":
    main()
