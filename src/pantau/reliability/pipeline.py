"""A realistic pantau home for the scenarios: the demo world, collected, classified, reviewed.

    world = build_world(seed=2024, scale=0.03)
    with DemoServer(world) as server:
        settings = settings_for(home, server, model=reliability_model())
        with Store.open(settings=settings) as store:
            prepare_home(store, world, home / "inputs")      # registry, accounts, election
            collect(store, settings)                         # the real collectors, loopback
            classify_pending(store)                          # the real classifier
            confirm_cases(store, 5)                          # human decisions (audit chain)
            export_all(store, WEEK, now=EXPORT_NOW)          # weekly files

`snapshot` captures what must survive a crash (ids, hashes, bytes) so two homes can be
compared: `compare` counts items lost and duplicated.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Settings, load_settings
from ..store import Store

# A fixed review time and the ISO week it falls in: exports are then byte-reproducible.
DECIDED_AT = datetime.fromisoformat("2024-12-02T10:00:00+07:00")
EXPORT_WEEK = "2024-W49"
EXPORT_NOW = datetime.fromisoformat("2024-12-09T08:00:00+07:00")
RECIPIENTS = ("bkn", "kasn", "bawaslu")
REVIEWER = "Reliability Reviewer"

MODEL_VERSION = "reliability-small-1"
_MODEL_ROWS = 1500


# --- the classifier model --------------------------------------------------------------------


def reliability_model(cache: Path | None = None) -> Path:
    """A small model trained by the real training code path, cached in the temp directory.

    The shipped model (models/) is large and slow to load in every killed-and-restarted
    process; the scenarios test crash safety, not accuracy, so a model fitted on 1,500 texts
    of the training corpus with the same estimator (fewer features) stands in. `PANTAU_
    RELIABILITY_MODEL` names another model directory to use instead.
    """
    configured = os.environ.get("PANTAU_RELIABILITY_MODEL")
    if configured:
        return Path(configured)
    from ..classify.model import MANIFEST_FILE

    target = cache or Path(tempfile.gettempdir()) / f"pantau-{MODEL_VERSION}"
    if (target / MANIFEST_FILE).is_file():
        return target
    from ..classify.corpus import generate
    from ..classify.model import TextModel, build_estimator
    from ..classify.train import _prepared_corpus

    rows = generate(7)
    random.Random(0).shuffle(rows)
    rows = rows[:_MODEL_ROWS]
    estimator = build_estimator("svm", 0)
    estimator.set_params(features__char__max_features=3000, features__word__max_features=3000)
    estimator.fit(_prepared_corpus(rows), [r["label"] for r in rows])
    for _name, vectorizer in estimator.named_steps["features"].transformer_list:
        # Only kept for introspection by scikit-learn; it holds every pruned n-gram.
        if hasattr(vectorizer, "stop_words_"):
            del vectorizer.stop_words_
    model = TextModel(estimator, MODEL_VERSION, {"threshold": 0.5})
    staging = Path(tempfile.mkdtemp(prefix="pantau-model-", dir=target.parent))
    model.save(staging)
    try:
        os.replace(staging, target)  # atomic: concurrent test workers never see half a model
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process won the race
    return target


# --- settings ----------------------------------------------------------------------------------

FAST_HTTP: dict[str, Any] = {
    # Loopback: no politeness delay needed; short back-off so fault runs finish quickly.
    "rate_limits": {},
    "backoff_base": 0.02,
    "backoff_max": 0.3,
    "max_retries": 6,
    "read_timeout": 5.0,
    "connect_timeout": 2.0,
}


def settings_values(home: Path, server: Any | None = None, *, model: Path | None = None,
                    http: dict[str, Any] | None = None, batch_size: int | None = None
                    ) -> dict[str, Any]:
    values: dict[str, Any] = {"home": str(home), "http": {**FAST_HTTP, **(http or {})}}
    if server is not None:
        values["platforms"] = server.platform_settings()
    classifier: dict[str, Any] = {}
    if model is not None:
        classifier["model_dir"] = str(model)
    if batch_size is not None:
        classifier["batch_size"] = batch_size
    if classifier:
        values["classifier"] = classifier
    return values


def settings_for(home: Path, server: Any | None = None, **kwargs: Any) -> Settings:
    """Settings for a scenario home. PANTAU_* variables of the calling process are ignored:
    they would win over these values (environment beats arguments) and point elsewhere."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("PANTAU_")}
    try:
        return load_settings(**settings_values(home, server, **kwargs))
    finally:
        os.environ.update(saved)


def env_for(home: Path, server: Any | None = None, **kwargs: Any) -> dict[str, str]:
    """The environment of a subprocess that sees the same settings (nested values as JSON)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    for key, value in settings_values(home, server, **kwargs).items():
        env[f"PANTAU_{key.upper()}"] = json.dumps(value) if isinstance(value, dict) else value
    return env


# --- building the home -------------------------------------------------------------------------


def prepare_home(store: Store, world: Any, inputs: Path) -> dict[str, Path]:
    """Import the world's registry, accounts and election file, as an analyst would."""
    from ..elections import import_election_file
    from ..registry import import_accounts, import_people

    files = world.write_files(inputs)
    import_people(store, files["registry"])
    import_accounts(store, files["accounts"])
    import_election_file(store, files["election"])
    return files


def confirm_cases(store: Store, n: int, *, at: datetime = DECIDED_AT) -> list[str]:
    """Confirm the `n` most confident flagged cases (and dismiss one more), deterministically."""
    from ..review import decide

    cases = [r[0] for r in store.rows(
        "SELECT case_id FROM flags WHERE flagged GROUP BY case_id "
        "ORDER BY max(confidence) DESC, case_id LIMIT ?", [n + 1])]
    for i, case in enumerate(cases):
        verdict = "confirmed" if i < n else "dismissed"
        decide(store, case, verdict, REVIEWER, note=f"reliability check {i}", now=at)
    return cases[:n]


def copy_home(src: Path, dst: Path) -> Path:
    """A copy of a closed home (database, evidence, exports) with its permissions."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)
    return dst


# --- comparing homes ---------------------------------------------------------------------------

_SETS: dict[str, str] = {
    "activities": "SELECT activity_id FROM activities",
    "evidence": "SELECT sha256 FROM evidence",
    "quarantine": "SELECT quarantine_id FROM quarantine",
    "classifications": "SELECT activity_id || '|' || election_id || '|' || model_version || '|' "
                       "|| n_flags FROM classifications",
    "flags": "SELECT case_id || '|' || model_version || '|' || rule || '|' || flagged || '|' "
             "|| round(confidence, 6) FROM flags",
    "decisions": "SELECT seq || '|' || case_id || '|' || verdict || '|' || hash FROM decisions",
    "exports": "SELECT export_id || '|' || sha256 || '|' || row_count FROM exports",
    "export_rows": "SELECT export_id || '|' || case_id FROM export_rows",
}


@dataclass(slots=True)
class Snapshot:
    items: dict[str, list[str]] = field(default_factory=dict)   # table -> keys (with repeats)
    files: dict[str, str] = field(default_factory=dict)         # exports/… -> sha256 of bytes

    def count(self, table: str) -> int:
        return len(self.items.get(table, []))


def snapshot(home: Path, tables: tuple[str, ...] = tuple(_SETS)) -> Snapshot:
    """What a home holds, opened read-only."""
    snap = Snapshot()
    with Store.open(home / "pantau.duckdb", settings=settings_for(home), read_only=True) as store:
        for table in tables:
            snap.items[table] = [r[0] for r in store.rows(_SETS[table])]
    exports = home / "exports"
    if exports.is_dir():
        for f in sorted(exports.rglob("*.csv")):
            snap.files[f.relative_to(home).as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()
    return snap


@dataclass(slots=True)
class Difference:
    lost: int = 0
    duplicates: int = 0
    details: list[str] = field(default_factory=list)


def compare(reference: Snapshot, got: Snapshot, tables: tuple[str, ...],
            *, files: bool = False) -> Difference:
    """Items of `reference` missing from `got` (lost) and extra or repeated in `got`."""
    diff = Difference()
    for table in tables:
        ref, mine = reference.items.get(table, []), got.items.get(table, [])
        ref_set, mine_set = set(ref), set(mine)
        lost = ref_set - mine_set
        extra = mine_set - ref_set
        repeated = len(mine) - len(mine_set)
        diff.lost += len(lost)
        diff.duplicates += len(extra) + repeated
        if lost or extra or repeated:
            diff.details.append(f"{table}: {len(lost)} lost (e.g. {sorted(lost)[:2]}), "
                                f"{len(extra)} extra (e.g. {sorted(extra)[:2]}), "
                                f"{repeated} repeated")
    if files:
        for name, digest in reference.files.items():
            if got.files.get(name) != digest:
                diff.lost += 1
                diff.details.append(f"{name}: missing or different bytes")
        for name in set(got.files) - set(reference.files):
            diff.duplicates += 1
            diff.details.append(f"{name}: extra file")
    return diff


def leftover_temp_files(home: Path) -> list[Path]:
    """Temporary files of interrupted atomic writes (never mistaken for real files)."""
    return sorted(p for p in home.rglob(".*.tmp") if p.is_file())
