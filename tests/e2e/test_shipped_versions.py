"""The shipped example against the server's version: it uses Standard Token Exchange V2, so on a
Keycloak before 26.2 `kcr plan` and `kcr apply` stop before any write with the version needed, at the
line of clients.yaml that uses it; from 26.2 on it plans (and test_shipped_example.py applies it)."""

from __future__ import annotations

import pytest

from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.versions import STANDARD_TOKEN_EXCHANGE, has
from tests.e2e.conftest import REALM, SHIPPED, Refused, assert_refused, delete_realms, kcr

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.xdist_group("e2e-shipped-realms")]


def test_the_shipped_example_plans_exactly_where_the_server_version_has_what_it_uses(
    admin_api: AdminClient, e2e_env: dict[str, str]
) -> None:
    server = admin_api.server_info()
    delete_realms(admin_api)
    planned = kcr("plan", str(SHIPPED), "--detailed-exitcode")
    if has(server, STANDARD_TOKEN_EXCHANGE):
        assert planned.exit_code == 2, planned.output  # the realms to create
        assert "Plan:" in planned.output
        return
    assert_refused(Refused(planned, server.version_text))
    applied = kcr("apply", str(SHIPPED), "--auto-approve")
    assert_refused(Refused(applied, server.version_text))
    with pytest.raises(NotFound):
        admin_api.get(f"/{seg(REALM)}")
