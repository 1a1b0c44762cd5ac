"""``early_reads.guess_realms``: the realm names a desired state seems to declare, from the files' text
alone (a guess for reads started before loading; the loader decides)."""

from __future__ import annotations

from pathlib import Path

from reconciler.early_reads import guess_realms


def test_top_level_realm_lines_of_yaml_and_the_first_realm_of_json(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "realm: acme  # the main one\nclients:\n  - clientId: x\n    realm: not-this\n---\nrealm: 'globex'\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yml").write_text('realm: "acme"\ngroups: []\n', encoding="utf-8")
    (tmp_path / "c.json").write_text('{"realm": "initech", "users": [{"realm": "x"}]}', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("realm: ignored\n", encoding="utf-8")
    assert guess_realms([str(tmp_path)]) == ["acme", "globex", "initech"]


def test_substituted_names_and_missing_paths_give_no_guess(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("realm: ${env:REALM}\n", encoding="utf-8")
    assert guess_realms([str(tmp_path), str(tmp_path / "missing")]) == []


def test_the_shipped_example() -> None:
    shipped = Path(__file__).parents[2] / "desired-state"
    assert guess_realms([str(shipped)]) == ["enterprise", "enterprise-dev"]
