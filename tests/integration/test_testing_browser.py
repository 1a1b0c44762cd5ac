"""The browser-form login helper (``reconciler.testing.browser``) against a real Keycloak: it sees the
page of a required action, answers it, and ends with tokens; the direct grant refuses the same user."""

from __future__ import annotations

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.browser import BrowserLogin
from reconciler.testing.oidc import LoginError, Realm, TokenError, unverified_claims
from reconciler.testing.server import KeycloakServer

pytestmark = pytest.mark.integration

CLIENT, SECRET, CALLBACK = "app", "app-secret-for-tests", "http://127.0.0.1:9/callback"
USER, PASSWORD = "alice", "Alice-password-1"


def _realm_with_user(
    api: AdminClient, realm: str, required_actions: list[str], *, organizations: bool = False
) -> None:
    api.post(
        "",
        {
            "realm": realm,
            "enabled": True,
            "organizationsEnabled": organizations,
            "clients": [
                {
                    "clientId": CLIENT,
                    "publicClient": False,
                    "secret": SECRET,
                    "directAccessGrantsEnabled": True,
                    "redirectUris": [CALLBACK],
                }
            ],
            "users": [
                {
                    "username": USER,
                    "enabled": True,
                    "email": "alice@example.com",
                    "firstName": "Alice",
                    "lastName": "Example",
                    "requiredActions": required_actions,
                    "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
                }
            ],
        },
    )


def _enable_terms(api: AdminClient, realm: str) -> None:
    path = f"/{seg(realm)}/authentication/required-actions/TERMS_AND_CONDITIONS"
    action = api.get(path)
    api.put(path, {**action, "enabled": True})


def test_a_pending_required_action_is_a_page_to_answer(
    admin_api: AdminClient, keycloak: KeycloakServer, fresh_realm: str
) -> None:
    _realm_with_user(admin_api, fresh_realm, ["TERMS_AND_CONDITIONS"])
    realm = Realm(keycloak.url, fresh_realm)
    # The direct grant refuses a pending action even while the action is disabled (as in a new realm).
    with pytest.raises(TokenError, match="Account is not fully set up"):
        realm.password_grant(CLIENT, USER, PASSWORD, SECRET)
    _enable_terms(admin_api, fresh_realm)

    with pytest.raises(TokenError) as refused:
        realm.password_grant(CLIENT, USER, PASSWORD, SECRET)
    assert refused.value.description == "Account is not fully set up"
    with pytest.raises(LoginError):
        realm.authorization_code_login(CLIENT, SECRET, CALLBACK, USER, PASSWORD)

    with BrowserLogin(realm, CLIENT, CALLBACK, client_secret=SECRET) as browser:
        page = browser.sign_in(USER, PASSWORD)
        assert page.required_action == "TERMS_AND_CONDITIONS"
        assert page.code is None
        page = browser.submit(page, accept="")
        assert page.required_action is None
        tokens = browser.tokens(page)
    assert unverified_claims(tokens["access_token"])["preferred_username"] == USER

    # Answered once: the next logins go straight through, by either grant.
    assert realm.password_grant(CLIENT, USER, PASSWORD, SECRET)["access_token"]
    assert realm.authorization_code_login(CLIENT, SECRET, CALLBACK, USER, PASSWORD)["access_token"]


def test_a_wrong_password_stays_on_the_login_form(
    admin_api: AdminClient, keycloak: KeycloakServer, fresh_realm: str
) -> None:
    _realm_with_user(admin_api, fresh_realm, [])
    realm = Realm(keycloak.url, fresh_realm)
    with BrowserLogin(realm, CLIENT, CALLBACK, client_secret=SECRET) as browser:
        page = browser.sign_in(USER, "not-the-password")
        assert page.is_login_form
        assert page.code is None
        assert "Invalid username or password" in page.message
        with pytest.raises(LoginError):
            browser.tokens(page)


def test_identity_first_login_with_organizations(
    admin_api: AdminClient, keycloak: KeycloakServer, fresh_realm: str
) -> None:
    # With organizations enabled the browser flow asks for the username first, the password on a
    # second page: sign_in fills in both.
    _realm_with_user(admin_api, fresh_realm, [], organizations=True)
    admin_api.post(
        f"/{seg(fresh_realm)}/organizations", {"name": "Acme", "domains": [{"name": "example.com"}]}
    )
    realm = Realm(keycloak.url, fresh_realm)
    with BrowserLogin(realm, CLIENT, CALLBACK, client_secret=SECRET) as browser:
        first = browser.start()
        assert first.is_login_form
        assert "password" not in (first.form.fields if first.form else {})
    tokens = realm.authorization_code_login(CLIENT, SECRET, CALLBACK, USER, PASSWORD)
    assert unverified_claims(tokens["access_token"])["preferred_username"] == USER
