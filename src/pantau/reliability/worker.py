"""One pipeline stage in its own process, so the kill scenarios can SIGKILL it.

    python -m pantau.reliability.worker collect|classify|export|collect-classify

Settings come from the environment (`pipeline.env_for`). With ``PANTAU_RELIABILITY_KILL_AT=N``
the process SIGKILLs itself at its N-th *write event*: just before or just after a store
upsert, a transaction commit, or a file rename. Counting events of an uninterrupted run
(printed as ``events <n>`` on stdout) lets the scenario pick kill points spread over every
place where a crash could leave something half-done; the parent also kills at random wall-clock
times. Nothing here changes what the stage does: it calls the same library functions the CLI
and the flows call.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

KILL_ENV = "PANTAU_RELIABILITY_KILL_AT"


class CrashPoints:
    """Counts write events and kills this process at the chosen one."""

    def __init__(self, kill_at: int) -> None:
        self.kill_at = kill_at
        self.events = 0

    def tick(self) -> None:
        self.events += 1
        if self.kill_at and self.events == self.kill_at:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.tick()
            result = fn(*args, **kwargs)
            self.tick()
            return result

        return wrapper

    def install(self) -> None:
        from ..store import Store

        Store.upsert = self.wrap(Store.upsert)  # type: ignore[method-assign]
        os.replace = self.wrap(os.replace)  # type: ignore[assignment]
        original = Store.transaction
        points = self

        def transaction(store: Any):  # type: ignore[no-untyped-def]
            # Kill points around the COMMIT of every outermost transaction.
            cm = original(store)

            class _Wrapped:
                def __enter__(self) -> Any:
                    return cm.__enter__()

                def __exit__(self, *exc: Any) -> Any:
                    result = cm.__exit__(*exc)
                    if exc[0] is None and not store._in_tx:  # the outermost one committed
                        points.tick()
                    return result

            return _Wrapped()

        Store.transaction = transaction  # type: ignore[method-assign]


def run(stage: str) -> int:
    from ..config import get_settings
    from ..store import Store

    settings = get_settings()
    with Store.open(settings=settings) as store:
        if stage == "collect":
            from ..collectors.runner import collect

            summary = collect(store, settings)
            print(f"pages {summary.pages} new {summary.activities_new}", flush=True)
        elif stage == "collect-classify":
            from ..classify.alongside import collect_and_classify

            both = collect_and_classify(store, settings)
            print(f"pages {both.collect.pages} new {both.collect.activities_new} classified "
                  f"{both.classify.activities} ({both.alongside} alongside)", flush=True)
        elif stage == "classify":
            from ..classify.pipeline import classify_pending

            result = classify_pending(store)
            print(f"classified {result.activities} flags {result.flags}", flush=True)
        elif stage == "export":
            from ..export import export_all
            from .pipeline import EXPORT_NOW, EXPORT_WEEK, RECIPIENTS

            for r in export_all(store, EXPORT_WEEK, list(RECIPIENTS), created_by="reliability",
                                now=EXPORT_NOW):
                print(f"export {r.export_id} {r.status} {r.row_count}", flush=True)
        else:
            print(f"unknown stage {stage!r} (collect, classify, export, collect-classify)",
                  file=sys.stderr)
            return 2
    return 0


def main(argv: list[str]) -> int:
    points = CrashPoints(int(os.environ.get(KILL_ENV, "0") or 0))
    points.install()
    code = run(argv[0] if argv else "")
    print(f"events {points.events}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
