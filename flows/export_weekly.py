"""Entry point for `prefect deploy` (prefect.yaml): the flow is defined in `pantau.flows`."""

from pantau.flows import export_weekly_flow as export_weekly

if __name__ == "__main__":
    export_weekly()
