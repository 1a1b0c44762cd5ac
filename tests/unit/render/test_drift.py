"""The drift report: same plan data, worded as Keycloak differing from git."""

from __future__ import annotations

import json

from reconciler.render import render_drift
from reconciler.render.drift import DRIFT_MARKER
from tests.unit.render.fixtures import mixed_plan, no_changes_plan, plan_of
from tests.unit.render.test_markdown import fences_balanced, huge_plan


def test_no_drift_is_one_quiet_line() -> None:
    assert render_drift(no_changes_plan(), "text") == "No drift: Keycloak matches the desired state.\n"


def test_changed_fields_read_git_versus_live() -> None:
    text = render_drift(mixed_plan(), "text")
    assert text.startswith("Drift: Keycloak differs from git (5 objects).\n")
    assert "  ~ enterprise/client/web: enabled: git true / live false" in text
    assert (
        '  ~ enterprise/client/web: redirectUris: git ["https://b.example.com/*", '
        '"https://c.example.com/*"] / live ["https://a.example.com/*", "https://c.example.com/*"]'
    ) in text


def test_sections_missing_absent_and_unmanaged_are_separate() -> None:
    text = render_drift(mixed_plan(), "text")
    sections = [ln for ln in text.splitlines() if ln.endswith(":") and not ln.startswith(" ")]
    assert sections == [
        "Changed in Keycloak:",
        "Missing in Keycloak:",
        "Present in Keycloak, absent from git:",
        "Not declared in git (unmanaged):",
    ]
    assert "  + enterprise/client/orders-api" in text
    assert "  - enterprise/user/old.bob  # declared absent" in text
    assert "  enterprise/group/hand-made" in text


def test_json_drift_shape() -> None:
    document = json.loads(render_drift(mixed_plan(), "json"))
    assert list(document) == ["format_version", "drifted", "realms", "drift", "unmanaged"]
    assert document["format_version"] == "1"
    assert document["drifted"] is True
    assert document["realms"] == ["enterprise"]
    assert [c["address"] for c in document["drift"]] == [c.address for c in mixed_plan().changes]
    assert document["unmanaged"][0]["address"] == "enterprise/group/hand-made"
    quiet = json.loads(render_drift(no_changes_plan(), "json"))
    assert quiet["drifted"] is False
    assert quiet["drift"] == []


def test_markdown_issue_body_has_marker_and_fits_github() -> None:
    md = render_drift(plan_of(huge_plan()), "markdown")
    assert md.splitlines()[0] == DRIFT_MARKER
    assert len(md) < 65_536
    assert fences_balanced(md)
    assert "Drift report truncated: " in md
    small = render_drift(mixed_plan(), "markdown")
    assert "Drift report truncated" not in small
    assert "! enterprise/client/web: enabled: git true / live false" in small
