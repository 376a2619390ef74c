"""Checks of config sections that no single stage owns."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from fakegen.errors import ConfigError

#: Keys of the generator group, by ``generator.kind``.
GENERATOR_KEYS = {
    "synthetic": (
        "kind",
        "rows",
        "balance",
        "noise",
        "violations",
        "columns",
        "distractors",
    ),
    "file": ("kind", "train", "tests", "label", "positive", "drop", "table"),
}


def check_keys(section: Mapping[str, Any], allowed: Iterable[str], *, key: str) -> None:
    """Raise ConfigError for the first key of ``section`` outside ``allowed``.

    The message suggests the closest allowed key, since most unknown keys are
    typos such as ``generator.rowz``.
    """
    allowed = list(allowed)
    for name in section:
        if name in allowed:
            continue
        close = difflib.get_close_matches(str(name), allowed, n=1)
        hint = f"Did you mean {key}.{close[0]}? " if close else ""
        raise ConfigError(
            f"{key}.{name} is not a known key. {hint}Known keys: {', '.join(allowed)}."
        )


def check_seed(seed: Any) -> int:
    """Return ``seed`` if it is a non-negative integer, else raise ConfigError."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(
            f"seed is {seed!r}; give a non-negative integer, such as seed=0."
        )
    return seed
