"""Entry point for `prefect deploy` (prefect.yaml): the flow is defined in `pantau.flows`."""

from pantau.flows import classify_flow as classify

if __name__ == "__main__":
    classify()
