"""The apply loop's own logic (ordering, failure report, retries, staleness, mass-delete guard,
the apply workflow's approval), with an in-memory kind: pure unit tests of our code, no Admin API
behaviour is assumed here."""

from __future__ import annotations

import threading
from typing import Any, ClassVar, cast

import pytest

import reconciler.apply as apply_module
from reconciler import ownership
from reconciler.apply import apply_plan, check_fresh, check_mass_delete
from reconciler.compare import FieldDiff, Rules
from reconciler.desired.representation import Model
from reconciler.desired.state import DesiredRealm, DesiredState, Policy
from reconciler.engine import make_plan
from reconciler.errors import ApplyError, Conflict, KcrError, PlanError, ServerError
from reconciler.keycloak.client import AdminClient
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj
from reconciler.plan import Action, Change, Plan
from reconciler.versions import ServerInfo
from reconciler.workflow import apply_desired


class MemoryKind(Kind):
    """A kind whose "server" is a dict; ``fail_on`` keys raise the given errors in turn."""

    name = "thing"
    collection = "things"
    phase = 20
    rules: ClassVar[Rules] = Rules()
    model = Model
    access = (Access("/things", "view-things", "manage-things"),)
    export_files = ("things.yaml",)

    def __init__(self) -> None:
        self.server: dict[str, Obj] = {}
        self.fail_on: dict[str, list[Exception]] = {}
        self.calls: list[str] = []

    def _maybe_fail(self, key: str) -> None:
        errors = self.fail_on.get(key)
        if errors:
            raise errors.pop(0)

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        return {t["name"]: t for t in realm.spec.get("things", [])}

    def read(self, ctx: Context) -> dict[str, Obj]:
        return {k: dict(v) for k, v in self.server.items()}

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        return {}

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        self.calls.append(f"create {key}")
        self._maybe_fail(key)
        if key in self.server:
            raise Conflict(409, "POST", "/things", "exists")
        self.server[key] = dict(desired)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        self.calls.append(f"update {key}")
        self._maybe_fail(key)
        self.server[key] = {**live, **desired}

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        self.calls.append(f"delete {key}")
        self._maybe_fail(key)
        self.server.pop(key, None)


class FakeSettings:
    concurrency = 4


class FakeApi:
    """Just enough of AdminClient for the ownership record (and the width of concurrent writes)."""

    settings = FakeSettings()

    def __init__(self) -> None:
        self.realm: dict[str, Any] = {"realm": "r", "attributes": {}}
        self.puts = 0
        self.request_count = 0

    def get(self, path: str, params: object = None) -> dict[str, Any]:
        return self.realm

    def put(self, path: str, json: dict[str, Any]) -> None:
        self.puts += 1
        self.realm = json

    def server_info(self) -> ServerInfo:
        return ServerInfo(version_text="26.7.3")


class NoLeases:
    """The apply lease is tested against Keycloak (tests/integration/test_apply_lease.py)."""

    def __init__(self, api: object, break_held: bool = False) -> None:
        pass

    def ensure(self, realm: str) -> None:
        pass

    def forget(self, realm: str) -> None:
        pass

    def holds(self, realm: str) -> bool:
        return True

    def release_all(self) -> list[str]:
        return []


@pytest.fixture
def kind(monkeypatch: pytest.MonkeyPatch) -> MemoryKind:
    k = MemoryKind()
    monkeypatch.setattr(apply_module, "Leases", NoLeases)
    monkeypatch.setattr("reconciler.apply.time.sleep", lambda s: None)
    return k


def _state(*things: Obj, policy: Policy | None = None) -> DesiredState:
    return DesiredState(
        realms={
            "r": DesiredRealm(
                name="r", spec={"realm": "r", "things": list(things)}, policy=policy or Policy()
            )
        }
    )


def _change(key: str, action: Action, order: int, destroys: int = 0) -> Change:
    return Change(
        realm="r",
        kind="thing",
        key=key,
        action=action,
        address=f"r/thing/{key}",
        before=None,
        after=None,
        order=order,
        destroys=destroys,
    )


def _lives() -> dict[str, LiveRealm]:
    return {"r": LiveRealm(name="r", exists=True)}


def test_failure_stops_and_reports_applied_failed_and_not_attempted(kind: MemoryKind) -> None:
    kind.fail_on["b"] = [PlanError("boom")]
    plan = Plan(changes=[_change(k, Action.CREATE, i) for i, k in enumerate("abc", 1)], realms=["r"])
    with pytest.raises(ApplyError) as err:
        apply_plan(
            cast(AdminClient, FakeApi()),
            plan,
            _state({"name": "a"}, {"name": "b"}, {"name": "c"}),
            _lives(),
            kinds=[kind],
        )
    report = err.value.report
    assert report.applied == ["r/thing/a"]
    assert report.failed == [("r/thing/b", "boom")]
    assert report.not_attempted == ["r/thing/c"]
    assert "c" not in kind.server


def test_transient_errors_are_retried_a_bounded_number_of_times(kind: MemoryKind) -> None:
    kind.fail_on["a"] = [ServerError(500, "POST", "/x", "lock"), Conflict(409, "POST", "/x", "busy")]
    plan = Plan(changes=[_change("a", Action.CREATE, 1)], realms=["r"])
    apply_plan(cast(AdminClient, FakeApi()), plan, _state({"name": "a"}), _lives(), kinds=[kind])
    assert kind.server["a"] == {"name": "a"}

    kind.fail_on["z"] = [ServerError(503, "POST", "/x", "down")] * 5
    plan = Plan(changes=[_change("z", Action.CREATE, 1)], realms=["r"])
    with pytest.raises(ApplyError):
        apply_plan(cast(AdminClient, FakeApi()), plan, _state({"name": "z"}), _lives(), kinds=[kind])
    assert kind.calls.count("create z") == apply_module.MAX_ATTEMPTS


def test_a_500_that_repeats_is_not_retried_again(kind: MemoryKind) -> None:
    kind.fail_on["z"] = [ServerError(500, "POST", "/x", "consult the server log")] * 5
    plan = Plan(changes=[_change("z", Action.CREATE, 1)], realms=["r"])
    with pytest.raises(ApplyError):
        apply_plan(cast(AdminClient, FakeApi()), plan, _state({"name": "z"}), _lives(), kinds=[kind])
    assert kind.calls.count("create z") == apply_module.MAX_500_ATTEMPTS == 2


def test_create_of_something_that_now_exists_converges_by_update(kind: MemoryKind) -> None:
    kind.server["a"] = {"name": "a", "colour": "red"}
    plan = Plan(changes=[_change("a", Action.CREATE, 1)], realms=["r"])
    apply_plan(
        cast(AdminClient, FakeApi()), plan, _state({"name": "a", "colour": "blue"}), _lives(), kinds=[kind]
    )
    assert kind.calls == ["create a", "update a"]
    assert kind.server["a"]["colour"] == "blue"


def test_ownership_record_lists_declared_objects_once_and_is_not_rewritten(kind: MemoryKind) -> None:
    api = FakeApi()
    plan = Plan(changes=[_change("a", Action.CREATE, 1)], realms=["r"])
    apply_plan(cast(AdminClient, api), plan, _state({"name": "a"}), _lives(), kinds=[kind])
    assert api.realm["attributes"]["kcr.managed"] == '{"things":["a"]}'
    lives = _lives()
    lives["r"].managed = {"things": {"a"}}
    lives["r"].objects["thing"] = dict(kind.server)
    apply_plan(
        cast(AdminClient, api), Plan(changes=[], realms=["r"]), _state({"name": "a"}), lives, kinds=[kind]
    )
    assert api.puts == 1


def test_mass_delete_guard_counts_destroyed_accounts() -> None:
    state = _state(policy=Policy(max_deletes=2))
    plan = Plan(
        changes=[_change("a", Action.DELETE, 1, destroys=1), _change("org", Action.UPDATE, 2, destroys=2)],
        realms=["r"],
    )
    with pytest.raises(PlanError, match=r"deletes 3 objects in realm 'r'.*--allow-mass-delete"):
        check_mass_delete(plan, state, allow=False)
    check_mass_delete(plan, state, allow=True)


def test_saved_plan_is_stale_when_a_live_object_or_the_desired_state_changed() -> None:
    state = _state({"name": "a"})
    saved = Plan(
        changes=[],
        fingerprints={"r/thing/a": "111", "r/thing/b": None},
        desired_fingerprint=state.fingerprint(),
    )
    check_fresh(saved, Plan(changes=[], fingerprints={"r/thing/a": "111", "r/thing/b": None}), state)
    with pytest.raises(PlanError, match=r"Saved plan is stale: .*r/thing/a.*r/thing/b"):
        check_fresh(saved, Plan(changes=[], fingerprints={"r/thing/a": "222", "r/thing/b": "9"}), state)
    with pytest.raises(PlanError, match="desired state"):
        check_fresh(
            saved,
            Plan(changes=[], fingerprints=dict(saved.fingerprints)),
            _state({"name": "a", "colour": "blue"}),
        )


def test_the_apply_workflow_shows_the_plan_and_writes_nothing_unless_approved(kind: MemoryKind) -> None:
    state = _state({"name": "a"})
    shown: list[Plan] = []
    with pytest.raises(KcrError, match="Apply cancelled: nothing was changed"):
        apply_desired(
            cast(AdminClient, FakeApi()), state, show=shown.append, approve=lambda p: False, kinds=[kind]
        )
    assert [c.address for c in shown[0].changes] == ["r/thing/a"]
    assert kind.server == {}
    outcome = apply_desired(cast(AdminClient, FakeApi()), state, approve=lambda p: True, kinds=[kind])
    assert kind.server == {"a": {"name": "a"}}
    assert outcome.summary == "Apply complete: 1 added, 0 changed, 0 destroyed."
    assert outcome.report.applied == ["r/thing/a"]
    again = apply_desired(cast(AdminClient, FakeApi()), state, approve=lambda p: False, kinds=[kind])
    assert again.summary == "Nothing to apply."  # no changes: nothing to approve


def test_the_apply_workflow_applies_a_saved_plan_only_while_it_is_fresh(kind: MemoryKind) -> None:
    state = _state({"name": "a"})
    plan, _ = make_plan(cast(AdminClient, FakeApi()), state, kinds=[kind])
    kind.server["a"] = {"name": "a", "colour": "red"}  # changed in Keycloak since the plan was made
    with pytest.raises(PlanError, match="Saved plan is stale"):
        apply_desired(cast(AdminClient, FakeApi()), state, saved=plan, kinds=[kind])


class IndependentThings(MemoryKind):
    """Objects without anything in common: many writes may run concurrently."""

    parallel_writes = True

    def __init__(self) -> None:
        super().__init__()
        self.drop: dict[str, str] = {}  # key -> field the "server" silently does not store

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        super().create(ctx, key, desired)
        if key in self.drop:
            self.server[key].pop(self.drop[key])


@pytest.fixture
def independent(monkeypatch: pytest.MonkeyPatch) -> IndependentThings:
    k = IndependentThings()
    monkeypatch.setattr(apply_module, "Leases", NoLeases)
    return k


MANY = apply_module.BULK_FROM + 5
KEYS = [f"k{i:02d}" for i in range(MANY)]


def _many_things() -> tuple[Plan, DesiredState]:
    plan = Plan(changes=[_change(k, Action.CREATE, i) for i, k in enumerate(KEYS, 1)], realms=["r"])
    return plan, _state(*({"name": k, "colour": "red"} for k in KEYS))


def test_many_independent_writes_all_apply_and_report_in_plan_order(independent: IndependentThings) -> None:
    plan, state = _many_things()
    report = apply_plan(cast(AdminClient, FakeApi()), plan, state, _lives(), kinds=[independent])
    assert report.applied == [f"r/thing/{k}" for k in KEYS]
    assert sorted(independent.server) == KEYS
    assert sorted(independent.calls) == sorted(f"create {k}" for k in KEYS)  # each object written once


def test_concurrent_failure_finishes_what_is_in_flight_and_starts_nothing_new(
    independent: IndependentThings,
) -> None:
    independent.fail_on["k05"] = [PlanError("boom")]
    plan, state = _many_things()
    with pytest.raises(ApplyError, match="Apply stopped at r/thing/k05: boom") as err:
        apply_plan(cast(AdminClient, FakeApi()), plan, state, _lives(), kinds=[independent])
    report = err.value.report
    # four in flight: when k05 failed, k06-k08 were already running; they finish and count
    in_flight = ["k06", "k07", "k08"]
    assert report.failed == [("r/thing/k05", "boom")]
    assert report.applied == [f"r/thing/{k}" for k in [*KEYS[:5], *in_flight]]
    assert report.not_attempted == [f"r/thing/{k}" for k in KEYS[9:]]
    assert sorted(independent.server) == sorted([*KEYS[:5], *in_flight])


def test_one_reread_after_many_writes_fails_each_object_keycloak_did_not_store(
    independent: IndependentThings,
) -> None:
    independent.drop = {"k03": "colour", "k11": "colour"}
    plan, state = _many_things()
    with pytest.raises(
        ApplyError, match=r"r/thing/k03 but did not store: colour.*\(and 1 more objects\)"
    ) as err:
        apply_plan(cast(AdminClient, FakeApi()), plan, state, _lives(), kinds=[independent])
    report = err.value.report
    assert [address for address, _ in report.failed] == ["r/thing/k03", "r/thing/k11"]
    assert "r/thing/k03" not in report.applied
    assert len(report.applied) == MANY - 2
    assert report.not_attempted == []


class RecordingLeases(NoLeases):
    """Records which thread takes a realm's lease (taking it twice would find it held: by us)."""

    taken: ClassVar[list[str]] = []

    def __init__(self, api: object, break_held: bool = False) -> None:
        self.held: set[str] = set()

    def ensure(self, realm: str) -> None:
        if realm not in self.held:
            RecordingLeases.taken.append(threading.current_thread().name)
            self.held.add(realm)


def test_a_concurrent_run_takes_the_lease_once_in_the_main_thread(
    independent: IndependentThings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apply_module, "Leases", RecordingLeases)
    RecordingLeases.taken.clear()
    plan, state = _many_things()
    apply_plan(cast(AdminClient, FakeApi()), plan, state, _lives(), kinds=[independent])
    assert RecordingLeases.taken == [threading.main_thread().name]


class RecordCheckingThings(IndependentThings):
    """Notes, at each create, whether the ownership record (the fake realm's) already names it."""

    def __init__(self, api: FakeApi) -> None:
        super().__init__()
        self.api = api
        self.unrecorded: list[str] = []

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        if key not in ownership.parse(self.api.realm).get("things", set()):
            self.unrecorded.append(key)
        super().create(ctx, key, desired)


def test_concurrent_writes_are_named_by_the_ownership_record_before_they_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(apply_module, "Leases", NoLeases)
    monkeypatch.setattr(apply_module, "OWNERSHIP_BATCH", 4)  # several saves during the run
    api = FakeApi()
    things = RecordCheckingThings(api)
    plan, state = _many_things()
    apply_plan(cast(AdminClient, api), plan, state, _lives(), kinds=[things])
    assert sorted(things.server) == KEYS
    assert things.unrecorded == []
    assert api.puts >= MANY // 4  # saved batch by batch, each ahead of its writes
