"""The Prefect flows, run for real under Prefect's test harness against small stores.

The collect flow fetches over HTTP from the collector tests' loopback world (real captures);
classify uses a tiny model fitted here; export and maintenance run on the review tests' world.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from uuid import UUID

import pytest
import yaml

from classify_helpers import fit_tiny_model
from collect_helpers import World, loopback_env, seed_work_list
from pantau import cli
from pantau.config import get_settings
from pantau.errors import FlowError
from pantau.orchestration import (
    CollectReport,
    batches,
    collect_markdown,
    md,
    plan_collection,
    previous_week,
)
from pantau.review import decide
from pantau.serve import deployments, schedules
from pantau.store import Store
from review_helpers import build_world, wib

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def _api(path: str, body: dict) -> list[dict]:
    """POST a filter to the harness's Prefect API. Raw REST on purpose: the 3.8 client's filter
    methods send explicit nulls (sort, limit) that the server refuses with 422."""
    from prefect.client.orchestration import get_client

    async def post() -> list[dict]:
        async with get_client() as client:
            response = await client._client.post(path, json={"limit": 200, "offset": 0, **body})
            response.raise_for_status()
            return response.json()

    return asyncio.run(post())


def _artifact(flow_run_id: UUID, key: str) -> str:
    """The markdown of the artifact `key` published by a flow run (read back from the server)."""
    found = _api("/artifacts/filter",
                 {"artifacts": {"flow_run_id": {"any_": [str(flow_run_id)]}}, "sort": "KEY_ASC"})
    by_key = {a["key"]: a["data"] for a in found}
    assert key in by_key, f"no {key} artifact; have {sorted(by_key)}"
    return by_key[key]


def _run(state) -> tuple[UUID, str, list[str]]:
    """(flow run id, its name, its task run names) of a finished flow run."""
    run_id = state.state_details.flow_run_id
    runs = _api("/flow_runs/filter", {"flow_runs": {"id": {"any_": [str(run_id)]}}})
    tasks = _api("/task_runs/filter", {"flow_runs": {"id": {"any_": [str(run_id)]}},
                                       "sort": "EXPECTED_START_TIME_ASC"})
    return run_id, runs[0]["name"], sorted(t["name"] for t in tasks)


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch):
    world = World()
    server, base = world.serve()
    for name, value in loopback_env(base).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with Store.open() as store:
        seed_work_list(store)
    yield world
    server.shutdown()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small but real model (the shipped pipeline), fitted once on 25 texts."""
    return fit_tiny_model("0.0.0-flowtest").save(tmp_path_factory.mktemp("model"))


@pytest.fixture
def tiny_model(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PANTAU_CLASSIFIER__MODEL_DIR", str(tiny_model_dir))
    get_settings.cache_clear()
    return tiny_model_dir


# --- orchestration (no Prefect) ---------------------------------------------------------------


def test_batches_and_plan(isolated_home: Path) -> None:
    assert batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert batches([], 3) == []
    with pytest.raises(ValueError):
        batches([1], 0)
    with Store.open() as store:
        seed_work_list(store)
        plan = plan_collection(store, ["telegram", "mastodon"], batch_size=1)
    assert [b.label for b in plan] == ["telegram 1/2", "telegram 2/2", "mastodon 1/2",
                                       "mastodon 2/2"]
    assert plan[0].handles == ("emptychan",)


@pytest.mark.parametrize("now,week", [
    (wib(2024, 11, 25, 8), "2024-W47"),
    # 00:30 on Monday in Jakarta is still Sunday in UTC: the week is Jakarta's.
    (wib(2024, 11, 25, 0, 30), "2024-W47"),
    (wib(2024, 11, 24, 23, 59), "2024-W46"),
    (wib(2025, 1, 1, 9), "2024-W52"),
    (wib(2021, 1, 4, 8), "2020-W53"),
])
def test_previous_week_is_jakarta_iso_week(now: datetime, week: str) -> None:
    assert previous_week(now) == week


def test_markdown_is_inert() -> None:
    assert md("a|b [x](javascript:y) <b>") == r"a\|b \[x\]\(javascript:y\) \<b\>"
    report = CollectReport(errors=[f"https://t.me/s/x{i}: 500" for i in range(25)])
    text = collect_markdown(report)
    assert "**Errors** (25)" in text and "… and 5 more" in text


# --- collect ----------------------------------------------------------------------------------


def test_collect_flow_batches_over_http_and_reports(prefect_harness, loopback) -> None:
    from pantau.flows import collect_flow

    state = collect_flow(batch_size=1, classify=False, media=False, return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    run_id, name, tasks = _run(state)
    assert name.startswith("collect-all-")
    # telegram 2 accounts, bluesky 2 (dan registered, alice watched), mastodon 2: 1 per task.
    assert tasks == sorted(f"collect {p} batch {i}/2" for p in ("telegram", "bluesky", "mastodon")
                           for i in (1, 2))
    with Store.open(read_only=True) as store:
        per_platform = dict(store.rows(
            "SELECT platform, count(*) FROM activities GROUP BY platform"))
        runs = store.count("collection_runs")
    assert set(per_platform) == {"telegram", "bluesky", "mastodon"}
    assert result["collect"]["new"] == sum(per_platform.values())
    assert runs == 6                                   # one collection run per batch
    text = _artifact(run_id, "collect-summary")
    assert f"| telegram | 2 | 2 |" in text
    assert "Refused, hidden or skipped" in text and "private@" in text   # the 403 account
    # Running again collects nothing new (pages commit with DO NOTHING).
    again = collect_flow(batch_size=1, classify=False, media=False)
    assert again["collect"]["new"] == 0


def test_collect_flow_one_failing_batch_fails_the_run_not_the_others(
        prefect_harness, loopback) -> None:
    from pantau.flows import collect_flow
    from pantau.timeutil import utcnow

    with Store.open() as store:   # an account on a platform pantau cannot collect from
        store.upsert("accounts", [{"platform": "twitter", "handle": "someone", "nip": "1",
                                   "added_at": utcnow()}], key=["platform", "handle"])
    state = collect_flow(platforms=["telegram", "twitter"], batch_size=5, classify=False, media=False,
                         return_state=True)
    assert state.is_failed()
    with pytest.raises(FlowError, match="1 batch"):
        state.result()
    run_id, name, _ = _run(state)
    assert name.startswith("collect-telegram-twitter-")
    text = _artifact(run_id, "collect-summary")
    assert "Batches failed" in text and "twitter 1/1" in text
    assert "cannot collect from twitter" in text
    with Store.open(read_only=True) as store:   # telegram's batch went through
        assert store.rows("SELECT count(*) FROM activities WHERE platform = 'telegram'")[0][0] > 0


def test_collect_then_classify_subflow(prefect_harness, loopback, tiny_model) -> None:
    from pantau.flows import collect_flow

    state = collect_flow(platforms=["telegram"], media=False, return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert result["classify"]["summary"].model_version == "0.0.0-flowtest"
    text = _artifact(_run(state)[0], "collect-summary")
    assert "## Classification" in text and "0.0.0-flowtest" in text


# --- classify ---------------------------------------------------------------------------------


def test_classify_flow_classifies_pending_once(prefect_harness, isolated_home, tiny_model) -> None:
    from pantau.flows import classify_flow

    with Store.open() as store:
        build_world(store)
        before = store.rows("SELECT count(*) FROM classifications")[0][0]
    state = classify_flow(batch_size=2, return_state=True)
    assert state.is_completed(), state.message
    out = state.result()
    run_id, name, tasks = _run(state)
    assert name.startswith("classify-") and tasks == ["classify pilkada-2024-dki-jakarta"]
    with Store.open(read_only=True) as store:
        written = store.rows("SELECT count(*) FROM classifications WHERE model_version = ?",
                             ["0.0.0-flowtest"])[0][0]
        flagged = dict(store.rows(
            "SELECT rule, count(*) FROM flags WHERE flagged AND model_version = ? GROUP BY 1",
            ["0.0.0-flowtest"]))
    assert before == 0 and written > 0
    assert out["summary"].activities == written
    assert out["flagged_by_rule"] == flagged
    text = _artifact(run_id, "classify-summary")
    assert f"{written} (activity, election) pair(s) classified" in text
    assert classify_flow()["summary"].activities == 0          # nothing pending any more


# --- weekly export ----------------------------------------------------------------------------


def test_export_weekly_flow_writes_every_recipient(prefect_harness, isolated_home) -> None:
    from pantau.flows import export_weekly_flow

    with Store.open() as store:
        world = build_world(store)
        decide(store, world.cases["ajakan"], "confirmed", "Sari", now=wib(2024, 11, 20, 10))
        decide(store, world.cases["foto"], "confirmed", "Sari", now=wib(2024, 11, 21, 10))
    state = export_weekly_flow(week="2024-W47", recipients=["bkn", "kasn"], return_state=True)
    assert state.is_completed(), state.message
    out = state.result()
    run_id, name, tasks = _run(state)
    assert name == "export-weekly-2024-W47"
    assert tasks == ["export 2024-W47 for bkn", "export 2024-W47 for kasn"]
    assert [(e["recipient"], e["rows"]) for e in out["exports"]] == [("bkn", 2), ("kasn", 2)]
    for e in out["exports"]:
        manifest = json.loads(Path(e["manifest"]).read_text("utf-8"))
        assert Path(e["csv"]).is_file()
        assert manifest["created_by"] == "prefect flow run export-weekly-2024-W47"
    assert "| bkn | 2 | new r1 |" in _artifact(run_id, "export-weekly-summary")


def test_export_weekly_flow_defaults_and_a_bad_recipient(prefect_harness, isolated_home) -> None:
    from pantau.flows import export_weekly_flow

    with Store.open() as store:
        build_world(store)
    state = export_weekly_flow(recipients=["bkn", "nobody"], return_state=True)
    assert state.is_failed()
    run_id, name, _ = _run(state)
    assert name == f"export-weekly-{previous_week()}"
    text = _artifact(run_id, "export-weekly-summary")
    assert "| bkn | 0 |" in text and "Recipients failed" in text and "nobody" in text
    with pytest.raises(FlowError, match="nobody"):
        state.result()


# --- maintenance ------------------------------------------------------------------------------


def test_maintenance_flow_purges_and_verifies(prefect_harness, isolated_home) -> None:
    from pantau.flows import maintenance_flow

    with Store.open() as store:
        world = build_world(store)
    # The world is from 2024: with today's clock only the never-flagged neutral post goes.
    state = maintenance_flow(older_than_days=90, return_state=True)
    assert state.is_completed(), state.message
    out = state.result()
    assert out["purged_activities"] == 1 and out["evidence_ok"]
    run_id, name, tasks = _run(state)
    assert name.startswith("maintenance-") and tasks == ["evidence-verify", "retention-purge"]
    text = _artifact(run_id, "maintenance-summary")
    assert "| activities purged | 1 |" in text and "all intact" in text
    with Store.open(read_only=True) as store:
        assert world.activities["netral"] not in {r[0] for r in store.rows(
            "SELECT activity_id FROM activities")}
        rel = store.rows("SELECT path FROM evidence WHERE sha256 = ?",
                         [world.evidence["foto"]])[0][0]
    (isolated_home / rel).unlink()           # a flagged case's evidence disappears
    broken = maintenance_flow(return_state=True)
    assert broken.is_failed()
    assert "Missing" in _artifact(_run(broken)[0], "maintenance-summary")
    with pytest.raises(FlowError, match="missing"):
        broken.result()


# --- schedules --------------------------------------------------------------------------------


def test_schedules_and_deployments(isolated_home) -> None:
    table = {s.name: s for s in schedules()}
    assert list(table) == ["collect-hourly", "classify-after-collect", "export-weekly",
                           "maintenance-daily"]
    assert table["export-weekly"].cron == "0 8 * * 1"
    assert table["export-weekly"].timezone == "Asia/Jakarta"
    assert table["classify-after-collect"].cron is None
    built = {d.name: d for d in deployments()}
    assert set(built) == set(table)
    export = built["export-weekly"].schedules[0].schedule
    assert (export.cron, export.timezone) == ("0 8 * * 1", "Asia/Jakarta")
    assert built["classify-after-collect"].schedules in (None, [])
    assert built["collect-hourly"].schedules[0].schedule.cron == "0 * * * *"


def test_prefect_yaml_matches_the_schedules(isolated_home) -> None:
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text("utf-8"))
    found = {d["name"]: d for d in spec["deployments"]}
    for s in schedules():
        d = found.pop(s.name)
        assert d["entrypoint"] == s.entrypoint and (REPO / s.entrypoint.split(":")[0]).is_file()
        crons = [(x["cron"], x["timezone"]) for x in d["schedules"]]
        assert crons == ([(s.cron, s.timezone)] if s.cron else [])
    assert not found


def test_flow_entry_points_are_the_library_flows() -> None:
    import runpy

    from pantau import flows

    for s in schedules():
        path, attr = s.entrypoint.split(":")
        loaded = runpy.run_path(str(REPO / path))[attr]
        assert loaded is {"collect": flows.collect_flow, "classify": flows.classify_flow,
                          "export-weekly": flows.export_weekly_flow,
                          "maintenance": flows.maintenance_flow}[s.flow]


def test_serve_list_prints_the_four_schedules(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.main(["serve", "--list"]) == 0
    out = capsys.readouterr().out
    for text in ("collect-hourly", "classify-after-collect", "export-weekly",
                 "maintenance-daily", "0 8 * * 1", "Monday 08:00", "Asia/Jakarta",
                 "after each collect run"):
        assert text in out
    assert cli.main(["serve", "--help"]) == 0
    assert "Example: pantau serve --list" in capsys.readouterr().out
