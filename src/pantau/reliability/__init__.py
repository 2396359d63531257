"""The reliability, privacy and security suite (issue 8): faults, fuzzing, hostile input,
personal data and load, each a scenario that measures what it claims.

    python bench/reliability.py [--quick]          # runs everything, writes RELIABILITY.md
    from pantau.reliability.suite import run_all    # the same, from Python
    tests/test_reliability.py                       # the short version, on every test run

Scenarios (modules): `kill` (SIGKILL of collector, classifier and export processes, restart,
compare with an uninterrupted run), `faults` (platform misbehaviour and layout change from the
loopback demo server, a busy database, a full or read-only disk), `fuzz` (hypothesis on every
parser and importer), `hostile` (attack text through every output; SSRF), `privacy` (owner-only
files, secrets nowhere), `load` (1M activities, full run only). `pipeline` builds the realistic
homes they share; `result` holds the numbers and renders the table.
"""

from .result import ScenarioResult, render_markdown

__all__ = ["ScenarioResult", "render_markdown"]
