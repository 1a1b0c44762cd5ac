"""The realm's localization texts: ``localizationTexts: {locale: {message key: text}}``, the realm's own
translations that override the themes' messages (login pages, emails, the account console).

One object per locale. A declared locale is compared key by key over the declared keys (a map, like
``attributes``): a key left out is not ours; a key declared ``null`` is removed.

How Keycloak 26.7 handles them (proven in ``tests/integration/test_kind_localization.py``):

- ``GET /localization`` lists the locales that have texts; ``GET /localization/{locale}`` answers one
  locale's texts as a map (``{}`` for a locale without texts).
- ``POST /localization/{locale}`` with a map adds and replaces those keys and keeps the others (one
  request for every key of a locale); ``DELETE /localization/{locale}/{key}`` removes one (404 when absent).
- A realm text shows on the login page of its locale when internationalization is enabled and the
  locale is supported (``ui_locales``/``kc_locale`` pick it).
"""

from __future__ import annotations

import contextlib
from typing import Any

from reconciler.compare import FieldDiff
from reconciler.desired.representation import Model
from reconciler.desired.state import DesiredRealm
from reconciler.errors import NotFound
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj, Section

LOCALIZATION_TEXTS = "localizationTexts"


def _path(ctx: Context, locale: str = "") -> str:
    base = f"/{seg(ctx.realm)}/localization"
    return f"{base}/{seg(locale)}" if locale else base


def _texts(rep: Any) -> Obj:
    return {str(k): str(v) for k, v in (rep or {}).items()}


class LocalizationKind(Kind):
    name = "localization"
    phase = 14  # after the realm, before anything a user sees
    model = Model  # its objects are maps of message key -> text
    key_field = None
    sections = (Section(LOCALIZATION_TEXTS, "map", values=dict[str, str | None]),)
    access = (Access("/localization", "view-realm", "manage-realm"),)
    export_files = ("localization.yaml",)

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        return {
            str(locale): dict(texts or {})
            for locale, texts in (realm.spec.get(LOCALIZATION_TEXTS) or {}).items()
        }

    def read(self, ctx: Context) -> dict[str, Obj]:
        """Every locale's texts for an export; else the declared locales' only (one GET each)."""
        locales = (ctx.api.get(_path(ctx)) or []) if ctx.read_all else list(self.declared(ctx.desired))
        reps = ctx.api.map(lambda locale: ctx.api.get(_path(ctx, locale)), locales)
        return {str(locale): _texts(rep) for locale, rep in zip(locales, reps, strict=True)}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        return _texts(ctx.api.get(_path(ctx, key)))

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        # The realm was just created, without texts.
        self.update(ctx, key, desired, {}, [])

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        current = _texts(ctx.api.get(_path(ctx, key)))
        changed = {k: v for k, v in desired.items() if v is not None and current.get(k) != v}
        if changed:
            ctx.api.post(_path(ctx, key), changed)
        for name in sorted(k for k, v in desired.items() if v is None and k in current):
            with contextlib.suppress(NotFound):  # removed meanwhile
                ctx.api.delete(f"{_path(ctx, key)}/{seg(name)}")
        ctx.live.of(self.name)[key] = _texts(ctx.api.get(_path(ctx, key)))

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        """A locale's texts are removed key by key (declared ``null``); ``state: absent`` means nothing."""

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        texts = {locale: dict(sorted(t.items())) for locale, t in sorted(live.of(self.name).items()) if t}
        return {"localization.yaml": {LOCALIZATION_TEXTS: texts} if texts else {}}
