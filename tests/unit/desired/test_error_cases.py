"""The corpus of broken desired states: each folder under cases/ holds the files of one case and
``expected.txt``, the exact problems (file:line:col: path: message (hint)) a user must see."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired import load
from reconciler.desired.language import PRUNABLE_COLLECTIONS
from reconciler.errors import DesiredStateError

CASES = Path(__file__).parent / "cases"
# Stands for the policy's collections in expected.txt, as pydantic lists them: a new kind with a
# collection changes that list, not the cases.
PRUNABLE = "{prunable collections}"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())


def problems_of(case: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(case)  # so messages name files as a user in that folder would see them
    with pytest.raises(DesiredStateError) as raised:
        load(["."], env={})
    return [str(p) for p in raised.value.problems]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_reports_exactly_the_expected_problems(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES / name
    choices = ", ".join(repr(c) for c in PRUNABLE_COLLECTIONS[:-1]) + f" or {PRUNABLE_COLLECTIONS[-1]!r}"
    expected = (case / "expected.txt").read_text(encoding="utf-8").replace(PRUNABLE, choices).splitlines()
    assert problems_of(case, monkeypatch) == expected


def test_corpus_covers_every_error_kind() -> None:
    assert len(CASE_NAMES) >= 18
    for name in CASE_NAMES:
        assert (CASES / name / "expected.txt").read_text(encoding="utf-8").strip(), name
