"""Authentication flows: ``authenticationFlows[]`` of the realm representation, named by ``alias``
(top-level flows and sub-flows alike, sub-flows with ``topLevel: false``, as a realm export writes them).

How Keycloak 26.x handles them (proven in ``tests/integration/test_facts_authentication_flows.py``):

- ``GET /authentication/flows`` lists the top-level flows in the export's shape; a sub-flow is read by
  id (``GET /flows/{id}``), found through its parent's flattened listing
  (``GET /flows/{alias}/executions``), which also carries execution ids and authenticator-config ids.
- Executions are added one by one (``POST .../executions/execution`` or ``.../executions/flow`` for a
  sub-flow, both with ``priority``), changed in place (``PUT .../executions`` with ``requirement`` and
  ``priority``), removed by id (removing a sub-flow's execution removes the sub-flow). Keycloak orders
  a flow's executions by ``priority``.
- Built-in flows: requirements and priorities may change, executions may not be added or removed and
  the flow may not be deleted. Which flows are built-in is what the live server says (``builtIn``):
  their executions differ between Keycloak versions.

A structural change of a custom flow (executions added, removed or reordered) is made **in place**,
never by deleting the flow: the flow keeps its id, so realm bindings and client overrides stay valid
throughout. The declared and live executions are matched in order by what they run (the authenticator,
or the sub-flow's alias); new ones are added first (they start ``DISABLED``), then every matched one
gets its declared requirement and priority, and only then are the unmatched live ones removed.
Without declared priorities the executions get 10, 20, 30... in the declared order.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from reconciler.builtins import BUILTIN_FLOWS, REALM_FLOW_BINDINGS
from reconciler.compare import FieldDiff, Rules
from reconciler.desired.declared import Findings, MergedRealm, Name, Names
from reconciler.desired.positions import Document
from reconciler.desired.representation import Model, Resource
from reconciler.desired.state import DesiredRealm
from reconciler.errors import KcrError, NotFound, Problem
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Access, Cascade, Context, Kind, LiveRealm, Obj, Section, without_extensions
from reconciler.kinds.flow_checks import check_flows, flow_overrides_by_alias
from reconciler.kinds.flow_live_checks import check_flows_live
from reconciler.kinds.flow_steps import built_in_match, identity

FLOWS = "authenticationFlows"
EXECUTIONS = "authenticationExecutions"
CONFIGS = "authenticatorConfig"
# Compared per execution, in this order; the rest of an execution (``authenticatorFlow`` and its
# misspelt twin ``autheticatorFlow``) follows from ``flowAlias`` and is never compared.
EXECUTION_FIELDS = ("authenticator", "flowAlias", "requirement", "priority", "authenticatorConfig")
FLOW_FIELDS = ("description", "providerId", "topLevel")
STEP = 10  # priority step when none is declared
CONFIG_KIND = "authenticator-config"


class AuthenticationExecution(Model):
    """One step of a flow: an authenticator, or a sub-flow named by ``flowAlias``."""

    read_only: ClassVar[frozenset[str]] = frozenset({"id", "authenticatorFlow", "autheticatorFlow"})

    authenticator: str | None = Field(
        None, description="the authenticator (the form provider of a form-flow)"
    )
    flowAlias: str | None = Field(None, description="the sub-flow this step runs (declared as a flow)")
    requirement: Literal["REQUIRED", "ALTERNATIVE", "DISABLED", "CONDITIONAL"] | None = None
    priority: int | None = Field(None, description="order in the flow (lower first); all or none per flow")
    authenticatorConfig: str | None = Field(None, description="alias of a declared authenticatorConfig")
    userSetupAllowed: bool | None = Field(None, description="accepted; not managed")


class AuthenticationFlow(Resource):
    """A flow (``alias`` names it); its executions in order."""

    required: ClassVar[str | None] = "alias"

    alias: str | None = None
    description: str | None = None
    providerId: Literal["basic-flow", "client-flow", "form-flow"] | None = None
    topLevel: bool | None = Field(None, description="false for a sub-flow (run by another flow's step)")
    builtIn: bool | None = Field(None, description="made by Keycloak: requirements may change, not structure")
    authenticationExecutions: list[AuthenticationExecution] | None = None


def auth_path(ctx: Context) -> str:
    return f"/{seg(ctx.realm)}/authentication"


def flat_level0(ctx: Context, alias: str) -> list[Obj]:
    """The flow's own executions (not its sub-flows'), with their ids, in order."""
    rows = ctx.api.get(f"{auth_path(ctx)}/flows/{seg(alias)}/executions") or []
    return [dict(r) for r in rows if r.get("level") == 0]


def _live_execution(rep: Obj) -> Obj:
    out = {k: rep[k] for k in (*EXECUTION_FIELDS, "userSetupAllowed") if rep.get(k) is not None}
    return out


def _live_flow(rep: Obj, config_ids: list[str]) -> Obj:
    return {
        "id": rep["id"],
        "alias": rep["alias"],
        **{k: rep[k] for k in (*FLOW_FIELDS, "builtIn") if k in rep},
        EXECUTIONS: [_live_execution(e) for e in rep.get(EXECUTIONS) or []],
        "_configIds": config_ids,
    }


def needed(ctx: Context) -> bool:
    """Flows are read for an export, or when the desired state declares, binds or overrides with any
    (a plan of a realm that names none reads none: twenty-odd requests)."""
    spec = ctx.desired.spec
    return (
        ctx.read_all
        or any(k in spec for k in (FLOWS, CONFIGS, *REALM_FLOW_BINDINGS))
        or bool(ctx.live.managed.get(FLOWS) or ctx.live.managed.get(CONFIGS))
        or any(c.get("authenticationFlowBindingOverrides") for c in spec.get("clients") or [])
    )


def declared_priorities(executions: list[Obj]) -> list[int]:
    """The priority each declared execution must have: declared, else 10, 20, 30..."""
    return [
        int(e["priority"]) if e.get("priority") is not None else STEP * (i + 1)
        for i, e in enumerate(executions)
    ]


def _step_diffs(index: int, want: Obj, have: Obj) -> list[FieldDiff]:
    return [
        FieldDiff(f"{EXECUTIONS}[{index}].{name}", have.get(name), want.get(name))
        for name in EXECUTION_FIELDS
        if name in want and want.get(name) != have.get(name)
    ]


def diff_executions(desired: list[Obj], live: list[Obj]) -> list[FieldDiff]:
    """Which execution changed and where: ``authenticationExecutions[2].requirement``; an added or
    removed step is one diff at its index (the declared index for an added one)."""
    out: list[FieldDiff] = []
    matcher = difflib.SequenceMatcher(
        a=[identity(e) for e in live], b=[identity(e) for e in desired], autojunk=False
    )
    for op, l0, l1, d0, d1 in matcher.get_opcodes():
        if op == "equal":
            for li, di in zip(range(l0, l1), range(d0, d1), strict=True):
                out.extend(_step_diffs(di, desired[di], live[li]))
            continue
        out.extend(FieldDiff(f"{EXECUTIONS}[{li}]", live[li], None) for li in range(l0, l1))
        out.extend(FieldDiff(f"{EXECUTIONS}[{di}]", None, desired[di]) for di in range(d0, d1))
    return out


class AuthenticationFlowKind(Kind):
    name = "authentication-flow"
    phase = 16  # after the realm, before the bindings, clients and identity providers that name flows
    model = AuthenticationFlow
    key_field = "alias"
    sections = (Section(FLOWS, "list", AuthenticationFlow),)
    collection = FLOWS
    noun = "authentication flow"
    declare_hint = "declare it under authenticationFlows, or name a built-in flow"
    read_lists_all = False  # read only when the realm declares, binds or overrides with flows
    access = (Access("/authentication", "view-realm", "manage-realm"),)
    export_files = ("authentication.yaml",)
    rules: ClassVar[Rules] = Rules()

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        """Parents before their sub-flows (a sub-flow is made by its parent's step)."""
        flows = {str(f["alias"]): dict(f) for f in realm.spec.get(FLOWS) or []}
        ordered: dict[str, Obj] = {}

        def visit(alias: str) -> None:
            if alias in ordered or alias not in flows:
                return
            ordered[alias] = flows[alias]
            for step in flows[alias].get(EXECUTIONS) or []:
                if step.get("flowAlias"):
                    visit(str(step["flowAlias"]))

        for alias, flow in flows.items():
            if flow.get("topLevel") is not False:
                visit(alias)
        for alias in flows:
            visit(alias)
        return ordered

    def builtin_names(self, realm: str) -> Iterable[Name]:
        return (("", alias) for alias in BUILTIN_FLOWS)

    def from_export(
        self, spec: dict[str, Any], doc: Document, warnings: list[tuple[str, Problem]]
    ) -> list[Problem]:
        flow_overrides_by_alias(spec, doc.data)
        return []

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        check_flows(realm, names[self.name], found)

    def check_live(self, desired: DesiredRealm, live: LiveRealm) -> list[Problem]:
        return check_flows_live(desired, live)

    def read(self, ctx: Context) -> dict[str, Obj]:
        if not needed(ctx):
            return {}
        base = auth_path(ctx)
        tops = ctx.api.get(f"{base}/flows") or []
        ctx.live.ids.flow_ids = {str(f["alias"]): str(f["id"]) for f in tops}
        listings = ctx.api.map(
            lambda f: ctx.api.get(f"{base}/flows/{seg(f['alias'])}/executions") or [], tops
        )
        out: dict[str, Obj] = {}
        sub_ids: list[str] = []
        configs: dict[str, list[str]] = {}  # flow id -> ids of its executions' configs
        for top, rows in zip(tops, listings, strict=True):
            parents = [str(top["id"])]  # by level: the flow the next deeper rows belong to
            for row in rows:
                level = int(row.get("level", 0))
                del parents[level + 1 :]
                owner = parents[level]
                if row.get("authenticationConfig"):
                    configs.setdefault(owner, []).append(str(row["authenticationConfig"]))
                if row.get("authenticationFlow") and row.get("flowId"):
                    sub_ids.append(str(row["flowId"]))
                    parents.append(str(row["flowId"]))
        subs = ctx.api.map(lambda i: ctx.api.get(f"{base}/flows/{seg(i)}"), sub_ids)
        for rep in [*tops, *subs]:
            out[str(rep["alias"])] = _live_flow(rep, configs.get(str(rep["id"]), []))
        for alias in [str(f.get("alias")) for f in ctx.desired.spec.get(FLOWS) or []]:
            if alias not in out and (hidden := _hidden_flow(ctx, alias)) is not None:
                out[alias] = hidden
        for flow in out.values():
            flow["_below"] = _below(out, flow)
        return out

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        return {**ctx.live.of(self.name), **self.read(_reading(ctx))}.get(key)

    def is_builtin(self, key: str, live: Obj, realm: str) -> bool:
        return bool(live.get("builtIn"))

    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        out = [
            FieldDiff(k, live.get(k), desired[k])
            for k in FLOW_FIELDS
            if k in desired
            and desired[k] != live.get(k)
            and not (k == "description" and not desired[k] and not live.get(k))
        ]
        if EXECUTIONS in desired:
            want, have = list(desired[EXECUTIONS] or []), list(live.get(EXECUTIONS) or [])
            matched = built_in_match(want, [identity(e) for e in have]) if live.get("builtIn") else None
            if matched is None:  # a custom flow (a built-in one that does not match is refused)
                out.extend(diff_executions(want, have))
            else:
                for di, li in enumerate(matched):
                    out.extend(_step_diffs(di, want[di], have[li]))
        return out

    def update_reason(self, key: str, diffs: list[FieldDiff], live: Obj) -> str:
        if any(d.before is None or d.after is None for d in diffs if d.path.startswith(EXECUTIONS)):
            return "executions added or removed: changed in place (the flow keeps its id and its bindings)"
        return "declared fields differ from Keycloak"

    def deleted_with(self, ctx: Context, key: str, live: Obj) -> list[Cascade]:
        why = "a sub-flow and its authenticator configs are deleted with the flow that runs it"
        return [*_sub_flow_cascades(ctx, [live], why), *_config_cascades(ctx, [live], why)]

    def deleted_by_update(self, key: str, diffs: list[FieldDiff], live: Obj) -> list[Cascade]:
        """A removed step takes its config, its sub-flow and everything under that with it; a step
        given another config loses the one it had."""
        out: list[Cascade] = []
        below = live.get("_below") or {}
        for d in diffs:
            if d.after is None and isinstance(d.before, dict):
                step, why = d.before, "Keycloak deletes a removed step's sub-flow and configs with it"
                if step.get("flowAlias"):
                    nested = below.get(str(step["flowAlias"])) or {}
                    out += [Cascade(self.name, a, why) for a in [step["flowAlias"], *nested.get("flows", [])]]
                    out += [Cascade(CONFIG_KIND, a, why) for a in nested.get("configs", [])]
                if step.get("authenticatorConfig"):
                    out.append(Cascade(CONFIG_KIND, str(step["authenticatorConfig"]), why))
            elif d.path.endswith(".authenticatorConfig") and d.before:
                out.append(
                    Cascade(CONFIG_KIND, str(d.before), "a step keeps one config: the old one is deleted")
                )
        return out

    # -- writes ----------------------------------------------------------------------------------
    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        if desired.get("builtIn"):
            # Made by Keycloak with a realm that this apply created: give it its declared requirements.
            self._built_in_steps(ctx, key, desired)
            return
        if desired.get("topLevel") is False:
            # Made (empty) by its parent's step, earlier in this apply: give it its steps.
            try:
                flat_level0(ctx, key)
            except NotFound:
                raise KcrError(
                    f"sub-flow {key!r} is run by no flow in Keycloak; declare a step with flowAlias: {key} "
                    "in the flow that should run it"
                ) from None
        else:
            body = {
                "alias": key,
                "providerId": desired.get("providerId") or "basic-flow",
                "topLevel": True,
                "description": desired.get("description") or "",
            }
            new_id = ctx.api.create(f"{auth_path(ctx)}/flows", body)
            if ctx.live.ids.flow_ids is not None:
                ctx.live.ids.flow_ids[key] = new_id
        self._executions(ctx, key, desired)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        if any(d.path in FLOW_FIELDS for d in diffs):
            path = f"{auth_path(ctx)}/flows/{seg(live['id'])}"
            stored = ctx.api.get(path)
            stored.pop(EXECUTIONS, None)
            ctx.api.put(path, {**stored, **{k: desired[k] for k in FLOW_FIELDS if k in desired}})
        if any(d.path.startswith(EXECUTIONS) for d in diffs):
            if live.get("builtIn"):
                self._built_in_steps(ctx, key, desired)
            else:
                self._executions(ctx, key, desired)

    def _built_in_steps(self, ctx: Context, alias: str, desired: Obj) -> None:
        """A built-in flow: only the declared steps' requirements, priorities and configs change."""
        want = [without_extensions(e) for e in desired.get(EXECUTIONS) or []]
        rows = flat_level0(ctx, alias)
        matched = built_in_match(want, [_flat_identity(r) for r in rows])
        if matched is None:
            raise KcrError(f"built-in flow {alias!r}: its steps changed since the plan; plan again")
        path = f"{auth_path(ctx)}/flows/{seg(alias)}/executions"
        for step, li in zip(want, matched, strict=True):
            row = rows[li]
            change = {k: step[k] for k in ("requirement", "priority") if k in step and step[k] != row.get(k)}
            if change:
                ctx.api.put(path, {**row, **change})
            self._config(ctx, row, step)

    def _executions(self, ctx: Context, alias: str, desired: Obj) -> None:
        """Make the flow's own steps the declared ones, in place (see the module docstring)."""
        want = [without_extensions(e) for e in desired.get(EXECUTIONS) or []]
        priorities = declared_priorities(want)
        path = f"{auth_path(ctx)}/flows/{seg(alias)}/executions"
        live = flat_level0(ctx, alias)
        matcher = difflib.SequenceMatcher(
            a=[_flat_identity(r) for r in live], b=[identity(e) for e in want], autojunk=False
        )
        matched: dict[int, str] = {}  # declared index -> live execution id
        unmatched: list[Obj] = []
        added: list[int] = []
        for op, l0, l1, d0, d1 in matcher.get_opcodes():
            if op == "equal":
                matched.update(
                    {di: str(live[li]["id"]) for li, di in zip(range(l0, l1), range(d0, d1), strict=True)}
                )
                continue
            unmatched.extend(live[l0:l1])
            for di in range(d0, d1):
                self._add(ctx, path, want[di], priorities[di])
                added.append(di)
        rows = {str(r["id"]): r for r in live}
        if added:  # the new steps' ids: the new rows, matched in the order they were added
            known = set(rows)
            fresh = [r for r in flat_level0(ctx, alias) if str(r["id"]) not in known]
            for di in added:
                row = next(r for r in fresh if _flat_identity(r) == identity(want[di]))
                fresh.remove(row)
                matched[di] = str(row["id"])
                rows[str(row["id"])] = row
        restructured = bool(added or unmatched)
        for i, step in enumerate(want):
            row = rows[matched[i]]
            change: Obj = {}
            if step.get("requirement") and step["requirement"] != row.get("requirement"):
                change["requirement"] = step["requirement"]
            if row.get("priority") != priorities[i] and ("priority" in step or restructured):
                change["priority"] = priorities[i]
            if change:
                ctx.api.put(path, {**row, **change})
            self._config(ctx, row, step)
        for row in unmatched:
            ctx.api.delete(f"{auth_path(ctx)}/executions/{seg(row['id'])}")

    def _add(self, ctx: Context, path: str, step: Obj, priority: int) -> None:
        if step.get("flowAlias"):
            sub = _declared_flow(ctx, str(step["flowAlias"]))
            kind = sub.get("providerId") or "basic-flow"
            body: Obj = {
                "alias": step["flowAlias"],
                "type": kind,
                "description": sub.get("description") or "",
                "priority": priority,
            }
            if kind == "form-flow":
                body["provider"] = step.get("authenticator") or "registration-page-form"
            ctx.api.post(f"{path}/flow", body)
        else:
            ctx.api.post(f"{path}/execution", {"provider": step.get("authenticator"), "priority": priority})

    def _config(self, ctx: Context, row: Obj, step: Obj) -> None:
        """Attach the declared config to a step that has none (or another one)."""
        alias = step.get("authenticatorConfig")
        if not alias:
            return
        current = row.get("authenticationConfig")
        if current:
            stored = ctx.api.get(f"{auth_path(ctx)}/config/{seg(current)}")
            if stored.get("alias") == alias:
                return
            ctx.api.delete(f"{auth_path(ctx)}/config/{seg(current)}")
        config = next(
            (
                dict(c.get("config") or {})
                for c in ctx.desired.spec.get(CONFIGS) or []
                if c.get("alias") == alias
            ),
            {},
        )
        ctx.api.post(
            f"{auth_path(ctx)}/executions/{seg(row['id'])}/config", {"alias": alias, "config": config}
        )

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        if live.get("topLevel") is not False:
            ctx.api.delete(f"{auth_path(ctx)}/flows/{seg(live['id'])}")
            if ctx.live.ids.flow_ids is not None:
                ctx.live.ids.flow_ids.pop(key, None)
            return
        # A sub-flow goes by removing the step that runs it; it may be gone with its parent already.
        try:
            for parent in ctx.live.of(self.name).values():
                if any(e.get("flowAlias") == key for e in parent.get(EXECUTIONS) or []):
                    for row in flat_level0(ctx, str(parent["alias"])):
                        if row.get("flowId") == live["id"]:
                            ctx.api.delete(f"{auth_path(ctx)}/executions/{seg(row['id'])}")
        except NotFound as exc:
            if exc.method == "DELETE":
                raise

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        flows = [export_flow(f) for _, f in sorted(live.of(self.name).items())]
        return {"authentication.yaml": {FLOWS: flows}}


def export_flow(live: Obj) -> Obj:
    """A flow as declared: built-in ones too (their requirements are what a security review reads)."""
    out: Obj = {"alias": live["alias"]}
    out.update({k: live[k] for k in ("description", "providerId", "topLevel", "builtIn") if k in live})
    if not out.get("description"):
        out.pop("description", None)
    out[EXECUTIONS] = [{k: e[k] for k in EXECUTION_FIELDS if k in e} for e in live.get(EXECUTIONS) or []]
    return out


def _below(flows: dict[str, Obj], flow: Obj) -> dict[str, dict[str, list[str]]]:
    """Per sub-flow a step runs: the sub-flows and configs under it (Keycloak deletes them with it)."""
    out: dict[str, dict[str, list[str]]] = {}
    for step in flow.get(EXECUTIONS) or []:
        sub = flows.get(str(step.get("flowAlias")))
        if sub is None:
            continue
        tree = [sub, *_subtree(flows, sub)]
        out[str(sub["alias"])] = {
            "flows": [str(f["alias"]) for f in tree[1:]],
            "configs": [
                str(s["authenticatorConfig"])
                for f in tree
                for s in f.get(EXECUTIONS) or []
                if s.get("authenticatorConfig")
            ],
        }
    return out


def _subtree(flows: dict[str, Obj], flow: Obj) -> list[Obj]:
    found: list[Obj] = []
    for step in flow.get(EXECUTIONS) or []:
        sub = flows.get(str(step.get("flowAlias")))
        if sub is not None:
            found += [sub, *_subtree(flows, sub)]
    return found


def _hidden_flow(ctx: Context, alias: str) -> Obj | None:
    """A top-level flow that ``GET /flows`` does not list (the built-in ``saml ecp``), from its
    flattened listing: its own steps (its description and provider are not readable this way)."""
    try:
        rows = flat_level0(ctx, alias)
    except NotFound:
        return None
    steps: list[Obj] = []
    config_ids: list[str] = []
    for row in rows:
        step: Obj = {"requirement": row.get("requirement"), "priority": row.get("priority")}
        if row.get("authenticationFlow"):
            step["flowAlias"] = row.get("displayName")
        else:
            step["authenticator"] = row.get("providerId")
        if row.get("authenticationConfig"):
            config_id = str(row["authenticationConfig"])
            config_ids.append(config_id)
            step["authenticatorConfig"] = ctx.api.get(f"{auth_path(ctx)}/config/{seg(config_id)}").get(
                "alias"
            )
        steps.append(step)
    declared = next(f for f in ctx.desired.spec.get(FLOWS) or [] if f.get("alias") == alias)
    known = {k: declared[k] for k in ("description", "providerId", "topLevel") if k in declared}
    return {"alias": alias, **known, "builtIn": True, EXECUTIONS: steps, "_configIds": config_ids}


def _flat_identity(row: Obj) -> str:
    return f"flow:{row['displayName']}" if row.get("authenticationFlow") else str(row.get("providerId"))


def _declared_flow(ctx: Context, alias: str) -> Obj:
    for flow in ctx.desired.spec.get(FLOWS) or []:
        if flow.get("alias") == alias:
            return dict(flow)
    return {}


def _reading(ctx: Context) -> Context:
    return Context(api=ctx.api, realm=ctx.realm, desired=ctx.desired, live=ctx.live, read_all=True)


def _sub_flows(ctx: Context, flows: Iterable[Obj]) -> list[Obj]:
    """Every sub-flow under these flows, deepest last."""
    live = ctx.live.of(AuthenticationFlowKind.name)
    out: list[Obj] = []
    todo = list(flows)
    while todo:
        flow = todo.pop(0)
        for step in flow.get(EXECUTIONS) or []:
            sub = live.get(str(step.get("flowAlias"))) if step.get("flowAlias") else None
            if sub is not None:
                out.append(sub)
                todo.append(sub)
    return out


def _sub_flow_cascades(ctx: Context, flows: list[Obj], why: str) -> list[Cascade]:
    return [Cascade(AuthenticationFlowKind.name, str(s["alias"]), why) for s in _sub_flows(ctx, flows)]


def _config_cascades(ctx: Context, flows: list[Obj], why: str) -> list[Cascade]:
    aliases = [
        str(step["authenticatorConfig"])
        for flow in [*flows, *_sub_flows(ctx, flows)]
        for step in flow.get(EXECUTIONS) or []
        if step.get("authenticatorConfig")
    ]
    return [Cascade(CONFIG_KIND, alias, why) for alias in aliases]
