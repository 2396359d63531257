"""Collectors: one folder per platform (client + pure parser), imports and public reports.

Parsers are pure functions from raw bytes to `Parsed` (activities + per-item problems + the
cursor of the next page). Clients fetch through `pantau.http` only. The runner archives every
response as evidence and commits activities with their collection state in one transaction.
"""
