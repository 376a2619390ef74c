"""Column types of a synthetic table and their vectorised samplers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from fakegen.checks import check_keys, with_article
from fakegen.errors import ConfigError
from fakegen.vocabulary import load_vocabulary, provider_vocabulary

#: Column kinds whose values are numbers, in the order the docs list them. Dates
#: are numbers too: whole seconds since 1970-01-01 UTC.
NUMERIC_KINDS = ("uniform", "normal", "lognormal", "integer", "date")
KINDS = (*NUMERIC_KINDS, "boolean", "literal")
#: Dtype of literal codes, wide enough for vocabularies of any practical size.
CODE_DTYPE = np.int32


@dataclass(frozen=True)
class Column:
    """A named feature with a kind and the parameters of its sampler.

    Parameters
    ----------
    name : str
        Column name in the generated table.
    kind : str
        One of ``uniform``, ``normal``, ``lognormal``, ``integer``, ``date``,
        ``boolean`` or ``literal``.
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
    def dtype(self) -> np.dtype:
        """NumPy dtype of the arrays :meth:`draw` returns."""
        if self.is_literal:
            return np.dtype(CODE_DTYPE)
        if self.kind == "boolean":
            return np.dtype(bool)
        return np.dtype(np.int64 if self.is_discrete else float)

    @property
    def is_discrete(self) -> bool:
        """True for numeric kinds that take whole numbers only."""
        return self.kind in ("integer", "date")

    @property
    def values(self) -> tuple[str, ...]:
        """Vocabulary of a literal column."""
        return tuple(self.params["values"])

    @property
    def low(self) -> float:
        """Lower end of the range the sampler covers in practice."""
        p = self.params
        if self.kind in ("uniform", "integer", "date"):
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
        if self.kind in ("uniform", "integer", "date"):
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
        if self.kind in ("integer", "date"):
            return max((p["high"] - p["low"] + 1) / math.sqrt(12), 1.0)
        if self.kind == "normal":
            return float(p["std"])
        if self.kind == "lognormal":
            s2 = p["sigma"] ** 2
            return math.sqrt((math.exp(s2) - 1) * math.exp(2 * p["mean"] + s2))
        return 1.0

    def draw(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n_samples`` values as an array; literals as vocabulary codes."""
        p = self.params
        if self.kind == "uniform":
            return rng.uniform(p["low"], p["high"], n_samples)
        if self.kind == "normal":
            return _scaled_normal(rng, p["mean"], p["std"], n_samples)
        if self.kind == "lognormal":
            # rng.lognormal's values, up to rounding in the last bit: its C
            # loop calls exp once per value, and np.exp over the array is faster.
            values = _scaled_normal(rng, p["mean"], p["sigma"], n_samples)
            return np.exp(values, out=values)
        if self.kind in ("integer", "date"):
            return rng.integers(p["low"], p["high"], n_samples, endpoint=True)
        if self.kind == "boolean":
            return rng.random(n_samples) < p["p"]
        if p["weights"] is None:
            return rng.integers(0, len(p["values"]), n_samples, dtype=CODE_DTYPE)
        cumulative = np.cumsum(p["weights"])
        codes = np.searchsorted(cumulative, rng.random(n_samples) * cumulative[-1])
        return codes.astype(CODE_DTYPE)

    def sample(self, n_samples: int, rng: np.random.Generator) -> Any:
        """Draw ``n_samples`` values: a NumPy array, or a Categorical for literals."""
        values = self.draw(n_samples, rng)
        if self.is_literal:
            return pd.Categorical.from_codes(values, categories=list(self.values))
        return values

    def clip(self, values: np.ndarray) -> np.ndarray:
        """Clip numbers to the values the sampler can produce (numeric kinds only)."""
        p = self.params
        if self.kind in ("uniform", "integer", "date"):
            return np.clip(values, p["low"], p["high"])
        if self.kind == "lognormal":
            return np.maximum(values, np.finfo(float).tiny)
        return values

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        """Share of the sampler's draws at or below ``x`` (numeric kinds only)."""
        p = self.params
        x = np.asarray(x, dtype=float)
        if self.kind == "uniform":
            return np.clip((x - p["low"]) / (p["high"] - p["low"]), 0.0, 1.0)
        if self.is_discrete:
            count = p["high"] - p["low"] + 1
            return np.clip((np.floor(x) - p["low"] + 1) / count, 0.0, 1.0)
        if self.kind == "normal":
            return special.ndtr((x - p["mean"]) / p["std"])
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log(np.maximum(x, 0.0)) - p["mean"]) / p["sigma"]
        return special.ndtr(z)

    def sample_between(
        self,
        n_samples: int,
        low: np.ndarray | float,
        high: np.ndarray | float,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Draw from the sampler truncated to ``[low, high]`` (numeric kinds only).

        Uses the inverse CDF, so the draws follow the sampler's own shape inside
        the interval; an interval the sampler never reaches yields its nearest
        edge. ``low`` and ``high`` are scalars or arrays of ``n_samples`` bounds.
        """
        # Scalar bounds stay scalars: broadcasting them to n_samples first
        # would repeat every step below, the CDF included, once per row.
        low = np.asarray(low, dtype=float)
        high = np.asarray(high, dtype=float)
        p = self.params
        if self.is_discrete:
            lo = np.maximum(np.ceil(low), p["low"])
            hi = np.maximum(np.minimum(np.floor(high), p["high"]), lo)
            draws = lo + rng.random(n_samples) * (hi - lo + 1)
            return np.floor(draws).astype(np.int64)
        if self.kind == "uniform":
            lo = np.clip(low, p["low"], p["high"])
            hi = np.clip(high, lo, p["high"])
            return lo + rng.random(n_samples) * (hi - lo)
        u_low, u_high = self.cdf(low), self.cdf(high)
        u = u_low + rng.random(n_samples) * (u_high - u_low)
        z = special.ndtri(np.clip(u, 1e-300, 1 - 1e-16))
        if self.kind == "normal":
            values = p["mean"] + p["std"] * z
        else:
            values = np.exp(p["mean"] + p["sigma"] * z)
        return np.clip(values, low, high)


def _scaled_normal(
    rng: np.random.Generator, mean: float, std: float, n_samples: int
) -> np.ndarray:
    """Return ``rng.normal(mean, std, n_samples)``'s values, computed faster.

    The same draws and arithmetic as rng.normal, so the same bits, but in
    place over the whole array, which took about 10% less time.
    """
    values = rng.standard_normal(n_samples)
    values *= std
    values += mean
    return values


_REQUIRED = {
    "uniform": ("low", "high"),
    "normal": ("mean", "std"),
    "lognormal": ("mean", "sigma"),
    "integer": ("low", "high"),
    "date": ("start", "end"),
    "boolean": (),
    "literal": (),
}
_OPTIONAL = {
    "boolean": ("p",),
    "literal": ("values", "vocabulary", "provider", "size", "weights"),
}


def make_column(name: str, spec: Mapping[str, Any], *, key: str) -> Column:
    """Build a :class:`Column` from its config mapping, checking every value.

    ``key`` is the config path of ``spec`` (such as ``generator.columns.age``);
    errors name it so the user knows which line to fix.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{key} is {spec!r}; give a mapping such as "
            "{type: integer, low: 16, high: 80}."
        )
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in KINDS:
        raise ConfigError(
            f"{key}.type is {kind!r}, expected one of {', '.join(KINDS)}. "
            f"Set it, for example {key}.type=uniform."
        )
    allowed = ["type", *_REQUIRED[kind], *_OPTIONAL.get(kind, ())]
    check_keys(spec, allowed, key=key, owner=f"{with_article(kind)} column")
    missing = [k for k in _REQUIRED[kind] if spec.get(k) is None]
    if missing:
        raise ConfigError(
            f"{key}.{missing[0]} is missing for {with_article(kind)} column."
        )
    params = _check_params(kind, spec, key=key)
    return Column(name=name, kind=kind, params=params)


def _check_params(kind: str, spec: dict[str, Any], *, key: str) -> dict[str, Any]:
    if kind == "literal":
        return _check_literal(spec, key=key)
    if kind == "date":
        return _check_date(spec, key=key)
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


def _check_date(spec: dict[str, Any], *, key: str) -> dict[str, Any]:
    bounds = {}
    for name in ("start", "end"):
        try:
            stamp = pd.Timestamp(str(spec[name]))
        except ValueError as exc:
            raise ConfigError(
                f"{key}.{name} is {spec[name]!r}, which is not a date; use the "
                "ISO form, such as 2024-01-31."
            ) from exc
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        bounds[name] = int(stamp.value // 1_000_000_000)
    if not bounds["start"] < bounds["end"]:
        raise ConfigError(
            f"{key} has start={spec['start']!r} and end={spec['end']!r}; start "
            "must come before end."
        )
    return {"low": bounds["start"], "high": bounds["end"]}


def _check_literal(spec: dict[str, Any], *, key: str) -> dict[str, Any]:
    sources = [s for s in ("values", "vocabulary", "provider") if spec.get(s)]
    if len(sources) != 1:
        raise ConfigError(
            f"{key} gives {', '.join(sources) or 'no vocabulary'}; a literal "
            "column needs exactly one of values (a list), vocabulary (a shipped "
            "list such as cities) or provider (a Faker provider such as job)."
        )
    if "size" in spec and sources != ["provider"]:
        raise ConfigError(f"{key}.size applies only together with provider.")
    if sources == ["vocabulary"]:
        values = load_vocabulary(spec["vocabulary"], key=f"{key}.vocabulary")
    elif sources == ["provider"]:
        size = spec.get("size", 100)
        if isinstance(size, bool) or not isinstance(size, int) or size < 2:
            raise ConfigError(f"{key}.size is {size!r}; give an integer of 2 or more.")
        values = provider_vocabulary(spec["provider"], size, key=f"{key}.provider")
    else:
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
    if isinstance(weights, str) or not isinstance(weights, Sequence):
        raise ConfigError(f"{key}.weights is {weights!r}; give a list of numbers.")
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
