"""Entry point for `prefect deploy` (prefect.yaml): the flow is defined in `pantau.flows`."""

from pantau.flows import collect_flow as collect

if __name__ == "__main__":
    collect()
