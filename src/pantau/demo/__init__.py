"""The demo world (`pantau demo`): a reproducible synthetic election, ASN and their activity,
served on loopback through the real platform interfaces, with the planted truth to score
the pipeline against.

    from pantau.demo import build_world, DemoServer, score
"""

from __future__ import annotations

from .server import DemoApp, DemoServer, Faults
from .truth import score
from .world import TruthItem, World, activity_id, build_world

__all__ = ["DemoApp", "DemoServer", "Faults", "TruthItem", "World", "activity_id",
           "build_world", "score"]
