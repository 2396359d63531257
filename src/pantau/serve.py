"""The four schedules, in code, and `serve()` which runs them with `prefect.serve`.

    collect-hourly            collect, then classify (subflow)       every hour at :00
    classify-after-collect    classify                               after each collect run
    export-weekly             export the previous ISO week           Monday 08:00
    maintenance-daily         retention purge + evidence verify      every day at 02:30

Times are Asia/Jakarta (WIB): the export must be ready on Monday morning in Jakarta whatever
the server's zone; collection and maintenance use the configured display time zone.
`SCHEDULES` is importable without a Prefect server (`pantau serve --list` prints it);
`prefect.yaml` at the repository root mirrors it for work-pool deployments, and a test keeps
the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import Settings, get_settings
from .errors import FlowError

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

EXPORT_TIMEZONE = "Asia/Jakarta"   # the recipients' week and office hours


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str                  # deployment name
    flow: str                  # flow name (pantau.flows)
    cron: str | None           # None: not on a clock
    timezone: str
    when: str                  # the schedule in words
    does: str

    @property
    def entrypoint(self) -> str:
        return f"flows/{self.flow.replace('-', '_')}.py:{self.flow.replace('-', '_')}"


def schedules(settings: Settings | None = None) -> list[Schedule]:
    """The four deployments: name, flow, schedule, time zone and what each does."""
    tz = (settings or get_settings()).display_timezone
    return [
        Schedule("collect-hourly", "collect", "0 * * * *", tz, "every hour at :00",
                 "collect every registered and watch-listed account (batches per platform), "
                 "then classify what is new"),
        Schedule("classify-after-collect", "classify", None, tz,
                 "after each collect run (as its subflow)",
                 "classify activities not yet classified with the current model; also "
                 "runnable on its own"),
        Schedule("export-weekly", "export-weekly", "0 8 * * 1", EXPORT_TIMEZONE,
                 "Monday 08:00",
                 "write the previous ISO week's confirmed cases for every configured recipient"),
        Schedule("maintenance-daily", "maintenance", "30 2 * * *", tz, "every day at 02:30",
                 "retention purge of never-flagged data, then verify the evidence archive"),
    ]


def deployments(settings: Settings | None = None) -> list[RunnerDeployment]:
    """The schedules as Prefect deployments for `prefect.serve` (one run at a time each)."""
    from prefect.schedules import Cron

    from . import flows

    by_name = {f.name: f for f in (flows.collect_flow, flows.classify_flow,
                                   flows.export_weekly_flow, flows.maintenance_flow)}
    out = []
    for s in schedules(settings):
        out.append(by_name[s.flow].to_deployment(
            name=s.name,
            schedule=Cron(s.cron, timezone=s.timezone) if s.cron else None,
            description=f"{s.does} ({s.when}, {s.timezone})",
            tags=["pantau"],
            # A collection still running an hour later: the next one waits its turn rather
            # than both contending for the store.
            concurrency_limit=1,
        ))
    return out


def serve(settings: Settings | None = None) -> None:
    """Run the four deployments in this process until interrupted (Ctrl-C).

    Without PREFECT_API_URL Prefect starts its embedded server; it is given two minutes (not
    Prefect's 20 s) to come up, since a small, busy machine is slower than that.
    """
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # pantau runs on machines holding personal data, often offline: no usage telemetry.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    import prefect

    try:
        prefect.serve(*deployments(settings))
    except RuntimeError as exc:
        if "Prefect API" not in str(exc):
            raise
        raise FlowError(f"{exc} Start one with `prefect server start` and point at it with "
                        "PREFECT_API_URL=http://127.0.0.1:4200/api") from None


__all__ = ["EXPORT_TIMEZONE", "Schedule", "deployments", "schedules", "serve"]
