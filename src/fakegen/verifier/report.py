"""The result of a verification and the timer that fills its timings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Verification:
    """Everything a verification found.

    Attributes
    ----------
    metrics : dict
        Flat, ``/``-separated metric names, as W&B shows them.
    verdicts : dict
        Constraint name to ``learned``, ``partial`` or ``not_learned``.
    verdict_reasons : dict
        Constraint name to the verdict's reason in words.
    suites : list of dict
        One scored row per suite.
    boundaries : dict
        Constraint name to its learned and true boundary.
    file_constraints : dict
        For a file data source, constraint name to how many rows break it.
    figures : dict
        Figure name to the PNG file written.
    timings : dict
        Seconds spent per verification step.
    """

    metrics: dict[str, float] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    verdict_reasons: dict[str, str] = field(default_factory=dict)
    suites: list[dict[str, Any]] = field(default_factory=list)
    boundaries: dict[str, Any] = field(default_factory=dict)
    file_constraints: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def timed(timings: dict[str, float], name: str) -> Iterator[None]:
    """Add the seconds the block takes to ``timings[name]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        timings[name] = round(timings.get(name, 0.0) + elapsed, 4)
