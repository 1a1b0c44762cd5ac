"""The README's connection section tells the truth: every KEYCLOAK_* variable that kcr reads is in its
table, and the read-only role list holds every role a read needs (the kinds' ``access``)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from reconciler.keycloak import settings
from reconciler.kinds import ACCESS

README = Path(__file__).resolve().parents[2] / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(title)
    return text[start : text.index("\n### ", start)]


def test_every_connection_variable_is_documented() -> None:
    read = set(re.findall(r'"(KEYCLOAK_[A-Z_]+)"', inspect.getsource(settings.ConnectionSettings.from_env)))
    assert "KEYCLOAK_TLS_INSECURE" in read
    table = section("### Pointing it at your Keycloak")
    assert {v for v in read if f"`{v}`" not in table} == set()


def test_read_only_role_list_holds_every_read_role() -> None:
    needed = {
        role for access in ACCESS for role in re.findall(r"(?:view|query)-[a-z]+(?:-[a-z]+)*", access.read)
    }
    assert "view-organizations" in needed
    paragraph = section("### Pointing it at your Keycloak").split("Permissions:", 1)[1].split("`apply`")[0]
    assert {r for r in needed if f"`{r}`" not in paragraph} == set()
