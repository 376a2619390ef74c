"""Constraints on literal columns: membership of a value in a set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fakegen.constraints.base import Constraint, assign, require_column
from fakegen.errors import ConfigError, InfeasibleError


class Membership(Constraint):
    """``column in values``, for example a city among the cities served."""

    type_name = "membership"

    def __init__(self, name, *, column, values, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.column = require_column(
            schema, column, key=f"{key}.column", kind="literal"
        )
        if isinstance(values, str) or not isinstance(values, Sequence) or not values:
            raise ConfigError(
                f"{key}.values is {values!r}; give a non-empty list of literals."
            )
        self.allowed = [str(v) for v in values]
        unknown = sorted(set(self.allowed) - set(self.column.values))
        if unknown:
            raise ConfigError(
                f"{key}.values contains {unknown[0]!r}, which column "
                f"{column!r} never takes; its values are "
                f"{', '.join(self.column.values)}."
            )
        self.columns = (column,)
        self.key = key

    def describe(self) -> str:
        return f"{self.column.name} in {self.allowed}"

    def check(self, df: pd.DataFrame) -> np.ndarray:
        return df[self.column.name].isin(self.allowed).to_numpy()

    def check_feasible(self) -> None:
        if set(self.allowed) >= set(self.column.values):
            raise InfeasibleError(
                f"{self.key}.values allows every value of column "
                f"{self.column.name!r}, so no row can violate it. Leave at "
                "least one value out."
            )

    def satisfy(self, df, rows, rng) -> None:
        self._draw_from(df, rows, rng, self.allowed)

    def violate(self, df, rows, rng) -> None:
        excluded = [v for v in self.column.values if v not in set(self.allowed)]
        self._draw_from(df, rows, rng, excluded)

    def _draw_from(self, df, rows, rng, options: list[str]) -> None:
        weights = self.column.params["weights"]
        if weights is not None:
            lookup = dict(zip(self.column.values, weights, strict=True))
            p = np.array([lookup[v] for v in options])
            p = p / p.sum() if p.sum() > 0 else None
        else:
            p = None
        picks = np.asarray(options, dtype=object)[
            rng.choice(len(options), size=len(rows), p=p)
        ]
        assign(df, self.column.name, rows, picks)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "values": self.allowed}
