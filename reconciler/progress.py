"""Progress on a terminal, for long reads and applies: tqdm bars on stderr.

Reading: one line per realm, kinds done out of all, objects read so far, and the kind just read with
its count. Applying: changes done out of the total, the rate and the time left (tqdm's own estimate).

Shown only when stderr is a terminal, never in CI (``CI`` set, as every CI service does, even where
it fakes a terminal), never with ``TERM=dumb``, and never for JSON output (the CLI passes
``wanted=False``): logs and machine-read output stay free of carriage returns and bars.

tqdm rather than rich: it does exactly this (count, rate, time left, redraw only on a terminal), has
no dependencies and is ~80 kB; rich brings pygments and markdown-it for what we would not use.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

from tqdm import tqdm

from reconciler.observe import Observer
from reconciler.plan import Change


def shown(stream: IO[str], *, wanted: bool = True) -> bool:
    """Whether a progress display belongs on ``stream``."""
    if not wanted or os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class TerminalProgress(Observer):
    """tqdm bars on ``stream`` (stderr). ``write`` prints a line above the bar without breaking it."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.bar: Any = None
        self.objects = 0

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def reading(self, realm: str, kinds: Sequence[str]) -> None:
        self._close()
        self.objects = 0
        self.bar = tqdm(
            total=len(kinds),
            desc=f"Reading {realm}",
            unit="kind",
            file=self.stream,
            bar_format="{desc}: {n_fmt}/{total_fmt} kinds{postfix} [{elapsed}]",
            postfix="0 objects",
            mininterval=0,  # a handful of kinds: show each one as it is read
            miniters=1,
        )

    def read(self, realm: str, kind: str, count: int) -> None:
        if self.bar is None:
            return
        self.objects += count
        self.bar.set_postfix_str(f"{self.objects} objects ({kind}: {count})", refresh=False)
        self.bar.update(1)
        if self.bar.n >= self.bar.total:
            self.bar.set_postfix_str(f"{self.objects} objects", refresh=False)
            self._close()

    def applying(self, total: int) -> None:
        self._close()
        if total:
            self.bar = tqdm(total=total, desc="Applying", unit="change", file=self.stream, dynamic_ncols=True)

    def applied(self, change: Change, result: str) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if self.bar.n >= self.bar.total:
                self._close()

    @contextlib.contextmanager
    def printing(self) -> Iterator[None]:
        """The bar is cleared for a line printed meanwhile, and drawn again under it."""
        with tqdm.external_write_mode(file=sys.stdout):
            yield

    def close(self) -> None:
        self._close()
