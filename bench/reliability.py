"""Run the reliability, privacy and security suite and write RELIABILITY.md (issue 8).

    python bench/reliability.py            # full: more kills and fuzz cases, and the 1M load
    python bench/reliability.py --quick    # the short version (what tests/test_reliability.py runs)
    python bench/reliability.py --only kill fuzz --out /tmp/R.md
    python bench/reliability.py --only load        # the 1M load; other rows kept from the file
    python bench/reliability.py --only load --load-activities 20000 --load-accounts 2000

The scenarios live in `pantau.reliability` (one place for the bench and the tests). Exit code 1
when any scenario reports a lost or duplicated item, a crash or a violation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pantau.reliability.suite import SCENARIOS, run_all, write_report

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the short version (CI size)")
    parser.add_argument("--only", nargs="*", choices=[s.key for s in SCENARIOS] + ["load"],
                        help="run only these scenarios")
    parser.add_argument("--out", type=Path, default=ROOT / "RELIABILITY.md")
    parser.add_argument("--load-activities", type=int, default=1_000_000)
    parser.add_argument("--load-accounts", type=int, default=100_000,
                        help="synthetic Telegram channels of 10 messages each "
                             "(activities = 10 x accounts)")
    parser.add_argument("--load-shards", type=int, default=1,
                        help="collect the load as this many account shards in as many "
                             "processes, merged after (default: 1, in the bench process)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the scenario homes under this directory (for inspection)")
    args = parser.parse_args(argv)
    results, seconds = run_all(quick=args.quick, only=args.only,
                               load_activities=args.load_activities,
                               load_accounts=args.load_accounts,
                               load_shards=args.load_shards, keep=args.keep)
    # With --only, the other scenarios' rows are kept from the existing file (marked so).
    path = write_report(args.out, results, quick=args.quick, seconds=seconds, only=args.only)
    failed = [r.name for r in results if not r.ok]
    print(f"wrote {path}: {len(results)} scenarios, "
          + (f"FAILED: {', '.join(failed)}" if failed else "all passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
