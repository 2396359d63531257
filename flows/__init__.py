"""Prefect entry points (`flows/<name>.py:<name>`); the flows themselves live in `pantau.flows`."""
