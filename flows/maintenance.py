"""Entry point for `prefect deploy` (prefect.yaml): the flow is defined in `pantau.flows`."""

from pantau.flows import maintenance_flow as maintenance

if __name__ == "__main__":
    maintenance()
