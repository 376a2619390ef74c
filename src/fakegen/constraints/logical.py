"""Constraints built from conditions: expression, implication, xor and count.

A condition is an expression of the expression language that gives a
boolean, such as ``age >= 40`` or ``employment == 'student'``. These
constraints repair rows by redrawing the columns their conditions use, which
is rejection sampling from the column samplers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fakegen.constraints.base import Constraint, probe_feasible, require_list
from fakegen.errors import ConfigError, InfeasibleError
from fakegen.expression import (
    BOOLEAN,
    Expression,
    column_types,
    column_vocabularies,
    compile_expression,
)
from fakegen.frame import Table, take_rows

#: Kept for callers that imported it from here.
schema_types = column_types


def compile_condition(text: Any, schema, *, key: str) -> Expression:
    """Compile one boolean condition over the columns of ``schema``."""
    return compile_expression(
        text,
        column_types(schema),
        key=key,
        expect=BOOLEAN,
        vocabularies=column_vocabularies(schema),
    )


class ExpressionConstraint(Constraint):
    """A custom rule such as ``income / (age + 1) >= 800``."""

    type_name = "expression"

    def __init__(self, name, *, expression, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self._compile(expression, schema, key=f"{key}.expression")
        self.key = key

    def _compile(self, expression, schema, *, key: str) -> None:
        self.schema = schema
        self.expression = compile_condition(expression, schema, key=key)
        # Sort so redraws consume the random stream in a fixed order.
        self.columns = tuple(sorted(self.expression.columns))
        #: Config key of the expression text, named in errors.
        self.expression_key = key

    def describe(self) -> str:
        return self.expression.text

    def check(self, df: Table) -> np.ndarray:
        return self.expression.evaluate(df).astype(bool)

    def check_feasible(self) -> None:
        if not self.columns:
            raise InfeasibleError(
                f"{self.expression_key} is {self.expression.text!r}, which uses no "
                "column, so it has the same value on every row. Refer to a column."
            )
        probe_feasible(self, key=self.expression_key, rule=self.expression.text)


class LabelRule(ExpressionConstraint):
    """The custom rule under ``constraint.label_rule`` that gives the label."""

    def __init__(self, expression, *, schema, key="constraint.label_rule"):
        Constraint.__init__(self, "label_rule")
        self._compile(expression, schema, key=key)
        self.key = key


class Implication(Constraint):
    """``if when then then``, for example students are at most 30 years old."""

    type_name = "implication"

    def __init__(self, name, *, when, then, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.when = compile_condition(when, schema, key=f"{key}.when")
        self.then = compile_condition(then, schema, key=f"{key}.then")
        self.columns = tuple(sorted(self.when.columns | self.then.columns))
        self.key = key

    def describe(self) -> str:
        return f"if {self.when.text} then {self.then.text}"

    def check_feasible(self) -> None:
        probe_feasible(self, key=self.key, rule=self.describe())

    def check(self, df: Table) -> np.ndarray:
        return ~self.when.evaluate(df).astype(bool) | self.then.evaluate(df).astype(
            bool
        )

    def violate(self, df, rows, rng) -> None:
        # Redraw the premise's columns where it fails and the conclusion's
        # columns where it holds, so each part is sampled on its own instead of
        # waiting for both to come out right together.
        subset = take_rows(df, rows, self.columns)
        when_rows = rows[~self.when.evaluate(subset).astype(bool)]
        self.redraw(df, when_rows, rng, names=sorted(self.when.columns))
        own = sorted(self.then.columns - self.when.columns)
        if own:
            then_rows = rows[self.then.evaluate(subset).astype(bool)]
            self.redraw(df, then_rows, rng, names=own)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "when": self.when.text, "then": self.then.text}


class Conditions(Constraint):
    """Base of the constraints over a list of conditions."""

    def __init__(self, name, *, conditions, schema, key, hard=False, minimum=1):
        super().__init__(name, hard=hard)
        self.schema = schema
        texts = require_list(conditions, key=f"{key}.conditions", what="conditions")
        if len(texts) < minimum:
            raise ConfigError(
                f"{key}.conditions has {len(texts)} condition(s); give at least "
                f"{minimum}."
            )
        self.conditions = [
            compile_condition(text, schema, key=f"{key}.conditions[{i}]")
            for i, text in enumerate(texts)
        ]
        self.columns = tuple(sorted(set().union(*(c.columns for c in self.conditions))))
        self.key = key

    def check_feasible(self) -> None:
        probe_feasible(self, key=self.key, rule=self.describe())

    def count(self, df: Table) -> np.ndarray:
        """Return how many conditions hold per row."""
        total = np.zeros(len(df), dtype=np.int64)
        for condition in self.conditions:
            total += condition.evaluate(df).astype(bool)
        return total

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "conditions": [c.text for c in self.conditions]}


class Xor(Conditions):
    """An odd number of the conditions hold; with two, exactly one of them."""

    type_name = "xor"

    def __init__(self, name, *, conditions, schema, key, hard=False):
        super().__init__(
            name, conditions=conditions, schema=schema, key=key, hard=hard, minimum=2
        )

    def describe(self) -> str:
        return " xor ".join(f"({c.text})" for c in self.conditions)

    def check(self, df: Table) -> np.ndarray:
        return self.count(df) % 2 == 1


class Count(Conditions):
    """At least, or exactly, ``k`` of the conditions hold."""

    type_name = "count"

    def __init__(
        self,
        name,
        *,
        conditions,
        schema,
        key,
        hard=False,
        at_least=None,
        exactly=None,
    ):
        super().__init__(name, conditions=conditions, schema=schema, key=key, hard=hard)
        if (at_least is None) == (exactly is None):
            raise ConfigError(
                f"{key} sets {'both' if at_least is not None else 'neither'} of "
                "at_least and exactly; set exactly one of them."
            )
        label = "at_least" if at_least is not None else "exactly"
        k = at_least if at_least is not None else exactly
        n = len(self.conditions)
        lowest = 1 if label == "at_least" else 0
        if isinstance(k, bool) or not isinstance(k, int) or not lowest <= k <= n:
            raise ConfigError(
                f"{key}.{label} is {k!r}; give an integer from {lowest} to {n}, "
                "the number of conditions."
            )
        self.k, self.exact = k, label == "exactly"

    def describe(self) -> str:
        word = "exactly" if self.exact else "at least"
        listed = ", ".join(c.text for c in self.conditions)
        return f"{word} {self.k} of [{listed}]"

    def check(self, df: Table) -> np.ndarray:
        count = self.count(df)
        return count == self.k if self.exact else count >= self.k

    def satisfy(self, df, rows, rng) -> None:
        count = self.count(take_rows(df, rows, self.columns))
        self._shift(df, rows, count < self.k, count > self.k, rng)

    def violate(self, df, rows, rng) -> None:
        count = self.count(take_rows(df, rows, self.columns))
        if not self.exact:
            self._shift(df, rows, np.zeros(len(rows), bool), count >= self.k, rng)
            return
        # Leave exactly k by going up or down, whichever exists, at random.
        up = rng.random(len(rows)) < 0.5
        up = np.where(
            self.k == 0, True, np.where(self.k == len(self.conditions), False, up)
        )
        on_k = count == self.k
        self._shift(df, rows, on_k & up, on_k & ~up, rng)

    def _shift(self, df, rows, raise_count, lower_count, rng) -> None:
        """Redraw the columns of conditions that hold where the count must go
        down, and of conditions that fail where it must go up."""
        subset = take_rows(df, rows, self.columns)
        for condition in self.conditions:
            held = condition.evaluate(subset).astype(bool)
            chosen = rows[(held & lower_count) | (~held & raise_count)]
            if len(chosen):
                self.redraw(df, chosen, rng, names=sorted(condition.columns))

    def to_dict(self) -> dict[str, Any]:
        key = "exactly" if self.exact else "at_least"
        return {**super().to_dict(), key: self.k}
