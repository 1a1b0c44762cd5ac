"""Reads started before the desired state is loaded, so that Keycloak works on them while kcr imports
its modules and loads and checks the YAML (about 1 s at 2,000 users, 2.5 s at 10,000, all of it
before the first read otherwise).

Which realms to read is guessed from the files' text (a top-level ``realm:`` line, or a JSON file's
first ``"realm"``): only a guess, for reads that change nothing. What the loader reads decides; a
realm guessed wrong costs a request or two whose answers are never used. The reads are those that
need nothing but the realm's name: each kind's ``start_reads`` (the user pages) and the partial
export. ``read_live`` takes them over (``started``).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from reconciler.desired.source import MAX_FILE_BYTES, find_files
from reconciler.desired.state import DesiredRealm
from reconciler.keycloak.client import AdminClient
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Context, LiveRealm
from reconciler.live import start_background_reads

_YAML_REALM = re.compile(r"""^realm:[ \t]*(['"]?)([^'"#\s]+)\1[ \t]*(?:#.*)?$""", re.MULTILINE)
_JSON_REALM = re.compile(r'"realm"\s*:\s*"([^"\\]+)"')


def guess_realms(paths: list[str]) -> list[str]:
    """The realm names the files seem to declare, in order, without loading them."""
    names: dict[str, None] = {}
    files, _ = find_files(paths)
    for path in files:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            text = path.read_text(encoding="utf-8")
            if path.suffix.lower() == ".json":
                first = _JSON_REALM.search(text)
                found = [first.group(1)] if first else []
            else:
                found = [m.group(2) for m in _YAML_REALM.finditer(text)]
            names.update(dict.fromkeys(n for n in found if "${" not in n))
    return list(names)


def start_early_reads(api: AdminClient, realms: list[str]) -> dict[str, dict[str, Any]]:
    """For each realm, the reads started in the background (``Context.shared_reads`` entries)."""
    started: dict[str, dict[str, Any]] = {}
    for realm in realms:
        ctx = Context(
            api=api, realm=realm, desired=DesiredRealm(name=realm, spec={}), live=LiveRealm(realm, True)
        )
        start_background_reads(ctx, REGISTRY)
        started[realm] = ctx.shared_reads
    return started
