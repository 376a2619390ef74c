"""Constraints written as expressions in fakegen's expression language."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fakegen.constraints.base import Constraint
from fakegen.expression import BOOLEAN, compile_expression


def schema_types(schema) -> dict[str, str]:
    """Map each column to its value type in the expression language."""
    types = {}
    for name, column in schema.items():
        if column.is_literal:
            types[name] = "literal"
        elif column.kind == "boolean":
            types[name] = BOOLEAN
        else:
            types[name] = "number"
    return types


class ExpressionConstraint(Constraint):
    """A custom rule such as ``income / (age + 1) >= 800``."""

    type_name = "expression"

    def __init__(self, name, *, expression, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.expression = compile_expression(
            expression, schema_types(schema), key=f"{key}.expression", expect=BOOLEAN
        )
        # Sort so redraws consume the random stream in a fixed order.
        self.columns = tuple(sorted(self.expression.columns))
        self.key = key

    def describe(self) -> str:
        return self.expression.text

    def check(self, df: pd.DataFrame) -> np.ndarray:
        return self.expression.evaluate(df).astype(bool)
