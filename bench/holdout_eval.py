"""Measure the classifier on the hand-written hold-out tweets (tests/fixtures/classify/holdout.csv).

    .venv/bin/python bench/holdout_eval.py [MODEL_DIR] [-v]

Each tweet is classified with its election file from elections/ and its own date. Prints the
rates the issue sets targets for: supporting/campaigning tweets flagged (>= 85%), attributed to
the right candidate (>= 90% of those), general tweets flagged (<= 2%), neutral news / appeals /
official information flagged (<= 10%).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pantau.classify.evaluate import holdout_rates
from pantau.classify.model import TextModel

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    model = TextModel.load(args[0] if args else None)
    rates = holdout_rates(ROOT / "tests/fixtures/classify/holdout.csv", ROOT / "elections", model)
    print(f"model {model.version}, threshold {rates['threshold']}")
    for key in ("campaign_flagged", "campaign_right_candidate", "general_flagged",
                "neutral_flagged"):
        print(f"  {key:26s} {rates[key]:.3f}   ({rates['counts'][key]})")
    if verbose:
        for row in rates["rows"]:
            mark = "!!" if row["wrong"] else "  "
            print(f"{mark} {row['id']:4s} {row['flagged']!s:5s} {row['rule'] or '-':6s} "
                  f"{row['candidate'] or '-'!s:3s} {row['confidence']:.2f} {row['text'][:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
