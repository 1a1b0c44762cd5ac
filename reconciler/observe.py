"""Watching long operations: the engine and the applier tell an ``Observer`` what they do, and never
print. The default observer does nothing; the CLI passes a terminal progress display
(``reconciler.progress``); a library user may pass their own (a log line per kind, metrics, ...)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from reconciler.plan import Change


class Observer:
    """No-op hooks, called in this order: per realm ``reading`` then ``read`` once per kind; then
    ``applying`` once and ``applied`` once per change attempted."""

    def reading(self, realm: str, kinds: Sequence[str]) -> None:
        """Reading a realm's live state begins; ``kinds`` are read in this order."""

    def read(self, realm: str, kind: str, count: int) -> None:
        """One kind of ``realm`` was read: ``count`` live objects."""

    def applying(self, total: int) -> None:
        """Applying a plan of ``total`` changes begins."""

    def applied(self, change: Change, result: str) -> None:
        """One change was attempted: ``result`` is ``"ok"`` or ``"failed"``."""

    @contextlib.contextmanager
    def printing(self) -> Iterator[None]:
        """Around a line the caller prints meanwhile (a display steps aside for it)."""
        yield


NOTHING = Observer()
