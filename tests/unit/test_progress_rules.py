"""When the terminal progress display is shown (reconciler.progress.shown); the display itself is
tested on a pseudo-terminal in tests/integration/test_progress.py."""

from __future__ import annotations

import io

import pytest

from reconciler.progress import shown


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "wanted", "terminal", "expected"),
    [
        ({}, True, True, True),
        ({"CI": "false"}, True, True, True),
        ({}, True, False, False),  # a pipe or a file: a log
        ({}, False, True, False),  # --format json
        ({"CI": "true"}, True, True, False),  # CI services that fake a terminal
        ({"CI": "1"}, True, True, False),
        ({"TERM": "dumb"}, True, True, False),
    ],
)
def test_shown_only_on_a_terminal_outside_ci(
    env: dict[str, str], wanted: bool, terminal: bool, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = Terminal() if terminal else io.StringIO()
    assert shown(stream, wanted=wanted) is expected
