"""Throughput of the Telegram channel-page parser on the real 12-message capture, one core.

    .venv/bin/python bench/bench_parse_telegram.py [SECONDS]

Parses tests/fixtures/telegram/full.html (99 KB, re-indented by its author) over and over and
prints pages/s and messages/s, by wall clock and by this process's CPU time (the CPU figure is
the one to compare on a busy machine). Target (issue 4): >= 1,000 pages/s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pantau.collectors.telegram.parse import parse_channel_page

PAGE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "telegram" / "full.html"


def main(seconds: float = 3.0) -> None:
    body = PAGE.read_bytes()
    messages = len(parse_channel_page(body).activities)
    for _ in range(50):  # warm up
        parse_channel_page(body)
    pages = 0
    wall, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall < seconds:
        for _ in range(50):
            parse_channel_page(body)
        pages += 50
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{PAGE.name}: {len(body):,} bytes, {messages} messages, {pages} pages parsed")
    print(f"wall: {pages / wall:,.0f} pages/s ({pages * messages / wall:,.0f} messages/s)")
    print(f"cpu:  {pages / cpu:,.0f} pages/s ({1000 * cpu / pages:.2f} ms/page)")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
