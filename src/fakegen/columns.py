"""Column types of a synthetic table and their vectorised samplers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fakegen.errors import ConfigError

#: Column kinds whose values are numbers, in the order the docs list them.
NUMERIC_KINDS = ("uniform", "normal", "lognormal", "integer")
KINDS = (*NUMERIC_KINDS, "boolean", "literal")


@dataclass(frozen=True)
class Column:
    """A named feature with a kind and the parameters of its sampler.

    Parameters
    ----------
    name : str
        Column name in the generated table.
    kind : str
        One of ``uniform``, ``normal``, ``lognormal``, ``integer``, ``boolean``
        or ``literal``.
    params : dict
        Sampler parameters, already checked by :func:`make_column`.
    """

    name: str
    kind: str
    params: Mapping[str, Any]

    @property
    def is_literal(self) -> bool:
        return self.kind == "literal"

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def values(self) -> tuple[str, ...]:
        """Vocabulary of a literal column."""
        return tuple(self.params["values"])

    @property
    def low(self) -> float:
        """Lower end of the range the sampler covers in practice."""
        p = self.params
        if self.kind in ("uniform", "integer"):
            return float(p["low"])
        if self.kind == "normal":
            return p["mean"] - 4 * p["std"]
        if self.kind == "lognormal":
            return math.exp(p["mean"] - 4 * p["sigma"])
        return 0.0

    @property
    def high(self) -> float:
        """Upper end of the range the sampler covers in practice."""
        p = self.params
        if self.kind in ("uniform", "integer"):
            return float(p["high"])
        if self.kind == "normal":
            return p["mean"] + 4 * p["std"]
        if self.kind == "lognormal":
            return math.exp(p["mean"] + 4 * p["sigma"])
        return 1.0

    @property
    def scale(self) -> float:
        """Standard deviation of the sampler, the unit of boundary margins."""
        p = self.params
        if self.kind == "uniform":
            return (p["high"] - p["low"]) / math.sqrt(12)
        if self.kind == "integer":
            return max((p["high"] - p["low"] + 1) / math.sqrt(12), 1.0)
        if self.kind == "normal":
            return float(p["std"])
        if self.kind == "lognormal":
            s2 = p["sigma"] ** 2
            return math.sqrt((math.exp(s2) - 1) * math.exp(2 * p["mean"] + s2))
        return 1.0

    def sample(self, n_samples: int, rng: np.random.Generator) -> Any:
        """Draw ``n_samples`` values: a NumPy array, or a Categorical for literals."""
        p = self.params
        if self.kind == "uniform":
            return rng.uniform(p["low"], p["high"], n_samples)
        if self.kind == "normal":
            return rng.normal(p["mean"], p["std"], n_samples)
        if self.kind == "lognormal":
            return rng.lognormal(p["mean"], p["sigma"], n_samples)
        if self.kind == "integer":
            return rng.integers(p["low"], p["high"], n_samples, endpoint=True)
        if self.kind == "boolean":
            return rng.random(n_samples) < p["p"]
        codes = rng.choice(len(p["values"]), size=n_samples, p=p["weights"])
        return pd.Categorical.from_codes(codes, categories=list(p["values"]))


_REQUIRED = {
    "uniform": ("low", "high"),
    "normal": ("mean", "std"),
    "lognormal": ("mean", "sigma"),
    "integer": ("low", "high"),
    "boolean": (),
    "literal": ("values",),
}
_OPTIONAL = {"boolean": ("p",), "literal": ("weights",)}


def make_column(name: str, spec: Mapping[str, Any], *, key: str) -> Column:
    """Build a :class:`Column` from its config mapping, checking every value.

    ``key`` is the config path of ``spec`` (such as ``generator.columns.age``);
    errors name it so the user knows which line to fix.
    """
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in KINDS:
        raise ConfigError(
            f"{key}.type is {kind!r}, expected one of {', '.join(KINDS)}. "
            f"Set it, for example {key}.type=uniform."
        )
    allowed = set(_REQUIRED[kind]) | set(_OPTIONAL.get(kind, ()))
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ConfigError(
            f"{key} has unknown key {unknown[0]!r} for a {kind} column; "
            f"allowed keys are {', '.join(sorted(allowed)) or 'none'}."
        )
    missing = [k for k in _REQUIRED[kind] if spec.get(k) is None]
    if missing:
        raise ConfigError(f"{key}.{missing[0]} is missing for a {kind} column.")
    params = _check_params(kind, spec, key=key)
    return Column(name=name, kind=kind, params=params)


def _check_params(kind: str, spec: dict[str, Any], *, key: str) -> dict[str, Any]:
    if kind == "literal":
        return _check_literal(spec, key=key)
    if kind == "boolean":
        p = _number(spec.get("p", 0.5), f"{key}.p")
        if not 0.0 <= p <= 1.0:
            raise ConfigError(f"{key}.p is {p!r}; it must lie in [0, 1].")
        return {"p": p}

    params = {k: _number(spec[k], f"{key}.{k}") for k in _REQUIRED[kind]}
    if kind in ("uniform", "integer") and not params["low"] < params["high"]:
        raise ConfigError(
            f"{key} has low={params['low']!r} and high={params['high']!r}; "
            "low must be smaller than high."
        )
    spread = {"normal": "std", "lognormal": "sigma"}.get(kind)
    if spread and params[spread] <= 0:
        raise ConfigError(
            f"{key}.{spread} is {params[spread]!r}; it must be greater than 0."
        )
    if kind == "integer":
        params = {k: int(v) for k, v in params.items()}
    return params


def _check_literal(spec: dict[str, Any], *, key: str) -> dict[str, Any]:
    values = spec["values"]
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ConfigError(
            f"{key}.values is {values!r}; give a non-empty list of strings."
        )
    values = [str(v) for v in values]
    if len(set(values)) != len(values):
        raise ConfigError(f"{key}.values repeats a value: {values!r}.")
    weights = spec.get("weights")
    if weights is None:
        return {"values": values, "weights": None}
    weights = [_number(w, f"{key}.weights") for w in weights]
    if len(weights) != len(values) or min(weights) < 0 or sum(weights) <= 0:
        raise ConfigError(
            f"{key}.weights is {weights!r}; give one non-negative weight per "
            f"value ({len(values)} in all) with a positive sum."
        )
    total = sum(weights)
    return {"values": values, "weights": [w / total for w in weights]}


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key} is {value!r}; it must be a number.")
    if not math.isfinite(value):
        raise ConfigError(f"{key} is {value!r}; it must be a finite number.")
    return float(value)
