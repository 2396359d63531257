"""Throughput of `classify_texts` on tweet-length text, one core.

    .venv/bin/python bench/bench_classify.py [N] [MODEL_DIR]

Texts are drawn from the training-corpus generator (a different seed from training), against
the Pemilu 2024 election file, dated in the DS stage. Prints activities per second for the
whole chain (normalise + link + mask + model + rules + reasons) and for its parts; checks that
it is linear by timing N/4 and N. Target (issue 5): >= 5,000 activities/s.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pantau.classify.corpus import generate  # noqa: E402
from pantau.classify.linking import Linker  # noqa: E402
from pantau.classify.model import TextModel  # noqa: E402
from pantau.classify.pipeline import classify_texts, prepare  # noqa: E402
from pantau.elections import load_election_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 20_000
    model = TextModel.load(argv[1] if len(argv) > 1 else None)
    election = load_election_file(ROOT / "elections" / "pemilu-2024-presiden.toml")
    rows = generate(seed=7)
    texts = [r["text"] for r in rows]
    texts = (texts * (n // len(texts) + 1))[:n]
    at = datetime(2024, 1, 10, 3, tzinfo=UTC)
    linker = Linker(election)
    classify_texts(texts[:200], election, at=at, model=model, linker=linker)  # warm up
    print(f"model {model.version}; {n} texts, mean {sum(map(len, texts)) / n:.0f} chars")
    # CPU time of this process (one thread) is the figure: wall time on a shared machine
    # also counts other processes' turns.
    for size in (n // 4, n):
        c0, t0 = time.process_time(), time.perf_counter()
        flags = classify_texts(texts[:size], election, at=at, model=model, linker=linker)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        flagged = sum(any(f.flagged for f in fl) for fl in flags)
        print(f"  full chain, {size:6d} texts: {size / cpu:8.0f} /s CPU ({cpu:.2f} s), "
              f"{size / wall:8.0f} /s wall; {flagged} with a flag in the queue")
    c0 = time.process_time()
    _, prepared = prepare(texts, linker, election.id)
    c1 = time.process_time()
    model.predict_proba(prepared)
    c2 = time.process_time()
    print(f"  parts (CPU): normalise+link+mask {n / (c1 - c0):8.0f} /s; "
          f"features+model {n / (c2 - c1):8.0f} /s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
