"""What kcr says about its connection settings before (or without) reaching Keycloak: passwords in
KEYCLOAK_URL never shown, unusable CA bundles named clearly (no traceback), a warning on every run
with TLS verification off, and the Retry-After rule. Nothing here needs a Keycloak: the URL points at
a closed port."""

from __future__ import annotations

import email.utils
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.keycloak.client import MAX_RETRY_AFTER, redact_url, retry_after_seconds, without_userinfo
from reconciler.testing.server import free_port

CLEAN_ENV = {
    "KEYCLOAK_USER": "",
    "KEYCLOAK_PASSWORD": "",
    "KEYCLOAK_CLIENT_ID": "kcr",
    "KEYCLOAK_CLIENT_SECRET": "not-used",
    "KEYCLOAK_CA_BUNDLE": "",
    "KEYCLOAK_TLS_INSECURE": "",
}


@pytest.fixture
def desired(tmp_path: Path) -> Path:
    folder = tmp_path / "desired"
    folder.mkdir()
    (folder / "realm.yaml").write_text("realm: offline\ngroups: [{name: g}]\n", encoding="utf-8")
    return folder


def run(*args: str, **env: str) -> Result:
    # catch_exceptions=False: a traceback fails the test instead of becoming exit code 1
    return CliRunner().invoke(main, list(args), env={**CLEAN_ENV, **env}, catch_exceptions=False)


def closed_url(userinfo: str = "") -> str:
    return f"http://{userinfo}127.0.0.1:{free_port()}"


# -- item 18 -----------------------------------------------------------------------------------------
def test_password_in_keycloak_url_is_never_shown(desired: Path) -> None:
    result = run("plan", str(desired), KEYCLOAK_URL=closed_url("kcr:s3cret-pw@"))
    assert result.exit_code == 1
    assert "Cannot reach Keycloak at http://kcr:***@127.0.0.1:" in result.output, result.output
    assert "s3cret-pw" not in result.output


def test_url_redaction() -> None:
    assert redact_url("https://kcr:p%40ss@sso.example.com/x") == "https://kcr:***@sso.example.com/x"
    assert redact_url("https://:pw@sso.example.com") == "https://***@sso.example.com"
    assert redact_url("https://sso.example.com:8443") == "https://sso.example.com:8443"
    assert without_userinfo("https://a:b@sso.example.com:8443/p") == "https://sso.example.com:8443/p"


# -- item 19 -----------------------------------------------------------------------------------------
def test_missing_ca_bundle_from_the_environment_is_a_clear_error(desired: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    result = run("plan", str(desired), KEYCLOAK_URL=closed_url(), KEYCLOAK_CA_BUNDLE=str(missing))
    assert result.exit_code == 1
    assert f"CA bundle {missing}" in result.output
    assert "does not exist" in result.output


@pytest.mark.parametrize("how", ["env", "flag"])
def test_non_pem_ca_bundle_is_a_clear_error(desired: Path, tmp_path: Path, how: str) -> None:
    bundle = tmp_path / "ca.der"
    bundle.write_bytes(b"\x30\x82\x01\x0a not a PEM certificate")
    if how == "env":
        result = run("plan", str(desired), KEYCLOAK_URL=closed_url(), KEYCLOAK_CA_BUNDLE=str(bundle))
    else:
        result = run("plan", str(desired), "--ca-bundle", str(bundle), KEYCLOAK_URL=closed_url())
    assert result.exit_code == 1
    assert "holds no usable certificate" in result.output, result.output
    assert "PEM" in result.output


def test_a_directory_as_ca_bundle_is_a_clear_error(desired: Path, tmp_path: Path) -> None:
    result = run("plan", str(desired), KEYCLOAK_URL=closed_url(), KEYCLOAK_CA_BUNDLE=str(tmp_path))
    assert result.exit_code == 1
    assert "is not a file" in result.output


# -- item 20 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["plan", "drift", "apply", "export"])
@pytest.mark.parametrize("how", ["env", "flag"])
def test_tls_verification_off_warns_on_every_run(desired: Path, command: str, how: str) -> None:
    args = ["export", "--realm", "offline"] if command == "export" else [command, str(desired)]
    if command == "apply":
        args.append("--auto-approve")
    env = {"KEYCLOAK_URL": closed_url()}
    if how == "env":
        env["KEYCLOAK_TLS_INSECURE"] = "true"
    else:
        args.append("--insecure")
    result = run(*args, **env)
    assert "Warning: TLS certificate verification is OFF" in result.output, result.output


def test_no_warning_when_tls_is_verified(desired: Path) -> None:
    result = run("plan", str(desired), KEYCLOAK_URL=closed_url())
    assert "verification is OFF" not in result.output


# -- item 6: Retry-After -----------------------------------------------------------------------------
def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds("2") == 2.0
    now = 1_800_000_000.0
    assert retry_after_seconds(email.utils.formatdate(now + 10, usegmt=True), now=now) == 10.0
    assert retry_after_seconds(email.utils.formatdate(now - 10, usegmt=True), now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert MAX_RETRY_AFTER == 30.0


# -- item 22: "default-client-scopess" ---------------------------------------------------------------
def test_validate_counts_plural_kind_names_once(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / f"{name}.yaml").write_text(
            f"realm: {name}\ndefaultDefaultClientScopes: [profile]\n", encoding="utf-8"
        )
    result = run("validate", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "2 default-client-scopes," in result.output, result.output
    assert "scopess" not in result.output
