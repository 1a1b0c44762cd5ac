"""The localization kind against a real Keycloak: declared as configured is no change, one text at a
time is exactly that change, apply then plan is no change, removal (a key left out stays; ``null``
removes), an export of a realm configured by hand plans as no change, drift shows a hand edit, and a
realm text is what the real login page of its locale shows."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.browser import BrowserLogin
from reconciler.testing.oidc import Realm
from tests.integration.conftest import Kcr

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
CALLBACK = "http://127.0.0.1:9/callback"
TITLE = "Anmelden bei ACME"


def _texts(api: AdminClient, realm: str, locale: str) -> dict[str, str]:
    return dict(api.get(f"/{seg(realm)}/localization/{locale}"))


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def _login_page(kcr: Kcr, realm: str, locale: str) -> str:
    with BrowserLogin(
        Realm(kcr.server.url, realm), "app", CALLBACK, params={"ui_locales": locale}
    ) as browser:
        page = browser.start()
    assert page.is_login_form, page.text[:500]
    return page.text


def test_declared_changed_removed_and_shown_on_the_login_page(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    doc: Doc = {
        "realm": fresh_realm,
        "internationalizationEnabled": True,
        "supportedLocales": ["en", "de"],
        "defaultLocale": "en",
        "clients": [{"clientId": "app", "publicClient": True, "redirectUris": [CALLBACK]}],
        "localizationTexts": {"de": {"loginAccountTitle": TITLE, "acme.footer": "Fußzeile"}},
    }
    kcr.write(doc)
    assert ("localization", "de", Action.CREATE, ("acme.footer", "loginAccountTitle")) in _changes(kcr)
    kcr.apply_converged()
    assert _texts(admin_api, fresh_realm, "de") == {"loginAccountTitle": TITLE, "acme.footer": "Fußzeile"}
    assert TITLE in _login_page(kcr, fresh_realm, "de")
    assert TITLE not in _login_page(kcr, fresh_realm, "en")

    # One text at a time; a new locale.
    steps: list[tuple[str, str, str | None]] = [
        ("de", "acme.footer", "Neue Fußzeile"),
        ("en", "loginAccountTitle", "Sign in to ACME"),
        ("de", "loginAccountTitle", None),
    ]
    for locale, key, text in steps:
        doc = copy.deepcopy(doc)
        doc["localizationTexts"].setdefault(locale, {})[key] = text
        kcr.write(doc)
        assert _changes(kcr) == [("localization", locale, Action.UPDATE, (key,))], (locale, key)
        kcr.apply_converged()
    assert _texts(admin_api, fresh_realm, "de") == {"acme.footer": "Neue Fußzeile"}
    assert "Sign in to ACME" in _login_page(kcr, fresh_realm, "en")
    assert TITLE not in _login_page(kcr, fresh_realm, "de")  # removed by kcr: the theme's text again

    # Left out of the YAML: kept, whatever the prune policy.
    kcr.write({**doc, "localizationTexts": {}, "policy": {"prune": ["clients"]}})
    assert _changes(kcr) == []
    assert _texts(admin_api, fresh_realm, "en") == {"loginAccountTitle": "Sign in to ACME"}


def test_export_of_a_realm_configured_by_hand_plans_no_change_and_drift_shows_a_hand_edit(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    base = f"/{seg(empty_realm)}/localization"
    admin_api.post(f"{base}/de", {"loginAccountTitle": TITLE, "x.y": "z"})
    admin_api.post(f"{base}/fr", {"loginAccountTitle": "Connexion"})

    folder = kcr.export_plans_no_change(empty_realm, tmp_path / "export")
    text = (folder / "localization.yaml").read_text(encoding="utf-8")
    assert TITLE in text
    assert "Connexion" in text

    admin_api.post(f"{base}/fr", {"loginAccountTitle": "Se connecter"})
    drift = kcr.run("drift", str(folder))
    assert drift.exit_code == 2, drift.output
    assert f"{empty_realm}/localization/fr" in drift.output
    assert "Se connecter" in drift.output
