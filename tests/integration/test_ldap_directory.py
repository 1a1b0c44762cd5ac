"""The test directory server (``reconciler.testing.ldap``): slapd starts on a free port with the seed,
users bind with their passwords, and stopping it leaves no process and no folder behind; where slapd
is missing, the error says how to install it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from reconciler.testing import ldap
from reconciler.testing.ldap import BIND_DN, BIND_PASSWORD, SUFFIX, USERS, Directory, SlapdMissing, user_dn

pytestmark = pytest.mark.integration


def _ldap_tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} (Debian package ldap-utils) is missing: {ldap.INSTALL_HINT}"
    return found


def test_the_seeded_directory_answers_binds_and_stops_cleanly() -> None:
    directory = Directory().start()
    try:
        assert directory.process is not None
        pid, folder = directory.process.pid, directory.folder
        for uid, (_, _, password) in USERS.items():
            whoami = subprocess.run(
                [_ldap_tool("ldapwhoami"), "-x", "-H", directory.url, "-D", user_dn(uid), "-w", password],
                capture_output=True,
                text=True,
                check=False,
            )
            assert whoami.returncode == 0, whoami.stderr
        wrong = subprocess.run(
            [_ldap_tool("ldapwhoami"), "-x", "-H", directory.url, "-D", user_dn("ada"), "-w", "wrong"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert wrong.returncode == 49  # invalid credentials
        found = subprocess.run(
            [
                *(_ldap_tool("ldapsearch"), "-x", "-LLL", "-H", directory.url, "-D", BIND_DN, "-w"),
                *(BIND_PASSWORD, "-b", SUFFIX, "(objectClass=groupOfNames)", "cn"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert sorted(line for line in found.stdout.splitlines() if line.startswith("cn:")) == [
            "cn: engineers",
            "cn: operators",
        ]
    finally:
        directory.stop()
    assert not os.path.exists(f"/proc/{pid}")
    assert not folder.exists()


def test_a_missing_slapd_is_an_error_that_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None)
    with pytest.raises(SlapdMissing, match="apt-get install -y slapd ldap-utils"):
        Directory().start()
