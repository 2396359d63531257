"""Bluesky collector: client.py (paging through pantau.http) and parse.py (pure parser)."""
