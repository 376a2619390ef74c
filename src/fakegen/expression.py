"""A small expression language over column names, parsed and checked, never run.

Expressions use Python's syntax for a narrow subset: numbers, quoted strings,
``true``/``false``, column names, ``+ - * / % **``, comparisons (chains
allowed), ``in`` and ``not in`` over a list of constants, ``and``, ``or``,
``not``, and the functions in :data:`FUNCTIONS`. The text goes through
:func:`ast.parse` only to get a syntax tree; every node is checked against a
whitelist and evaluated here with NumPy, so config text never reaches ``eval``.
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fakegen.errors import ExpressionError

#: Functions an expression may call, with their number of arguments.
FUNCTIONS: dict[str, tuple[int, Callable[..., np.ndarray]]] = {
    "abs": (1, np.abs),
    "log": (1, np.log),
    "exp": (1, np.exp),
    "sqrt": (1, np.sqrt),
    "min": (2, np.minimum),
    "max": (2, np.maximum),
}

_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARISONS = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_BOOLEAN_NAMES = {"true": True, "false": False, "True": True, "False": False}
MAX_LENGTH = 2000

# Value types an expression node can have; "literal" means a string column.
NUMBER, LITERAL, BOOLEAN = "number", "literal", "boolean"
Evaluator = Callable[[pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, result type, columns and evaluator."""

    text: str
    kind: str
    columns: frozenset[str]
    _evaluate: Evaluator

    def evaluate(self, df: pd.DataFrame) -> np.ndarray:
        """Evaluate over every row of ``df`` at once and return an array."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = self._evaluate(df)
        return np.broadcast_to(np.asarray(result), (len(df),))


def compile_expression(
    text: str, schema: Mapping[str, str], *, key: str, expect: str | None = None
) -> Expression:
    """Parse ``text`` and check it against ``schema`` (column name to value type).

    Raises :class:`ExpressionError` naming ``key`` when the text does not parse,
    uses a construct outside the language, names an unknown column, mixes types,
    or does not produce the ``expect`` type.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"{key} is {text!r}; give an expression as a string.")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"{key} is {len(text)} characters long; the limit is {MAX_LENGTH}."
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            f"{key} is {text!r}, which does not parse: {exc.msg} at column "
            f"{exc.offset}."
        ) from exc
    compiler = _Compiler(schema, key=key, text=text)
    kind, evaluate, columns = compiler.visit(tree.body)
    if expect is not None and kind != expect:
        raise ExpressionError(
            f"{key} is {text!r}, which gives a {kind} value; a {expect} value "
            "is expected here (for example a comparison such as 'age >= 18')."
        )
    return Expression(
        text=text, kind=kind, columns=frozenset(columns), _evaluate=evaluate
    )


class _Compiler:
    """Turn whitelisted AST nodes into (type, evaluator, columns) triples."""

    def __init__(self, schema: Mapping[str, str], *, key: str, text: str) -> None:
        self.schema = schema
        self.key = key
        self.text = text

    def fail(self, what: str) -> ExpressionError:
        return ExpressionError(f"{self.key} is {self.text!r}: {what}")

    def visit(self, node: ast.AST) -> tuple[str, Evaluator, set[str]]:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            snippet = (
                ast.get_source_segment(self.text.strip(), node) or type(node).__name__
            )
            raise self.fail(
                f"{snippet!r} is not part of the expression language. Use "
                "arithmetic, comparisons, 'in [...]', and/or/not, and the "
                f"functions {', '.join(FUNCTIONS)}."
            )
        return method(node)

    def visit_Constant(self, node: ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return BOOLEAN, lambda df: np.bool_(value), set()
        if isinstance(value, (int, float)):
            return NUMBER, lambda df: np.float64(value), set()
        if isinstance(value, str):
            return LITERAL, lambda df: value, set()
        raise self.fail(f"the constant {value!r} is not a number, string or boolean.")

    def visit_Name(self, node: ast.Name):
        name = node.id
        if name in _BOOLEAN_NAMES and name not in self.schema:
            flag = _BOOLEAN_NAMES[name]
            return BOOLEAN, lambda df: np.bool_(flag), set()
        if name not in self.schema:
            close = difflib.get_close_matches(name, list(self.schema), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise self.fail(
                f"unknown column {name!r}; known columns are "
                f"{', '.join(sorted(self.schema))}.{hint}"
            )
        kind = self.schema[name]
        if kind == LITERAL:
            return kind, lambda df: np.asarray(df[name], dtype=object), {name}
        return kind, lambda df: df[name].to_numpy(), {name}

    def visit_UnaryOp(self, node: ast.UnaryOp):
        kind, operand, columns = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            self.require(kind, BOOLEAN, "'not'")
            return BOOLEAN, lambda df: np.logical_not(operand(df)), columns
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            self.require(kind, NUMBER, "a sign")
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            return NUMBER, lambda df: sign * operand(df), columns
        raise self.fail("'~' is not supported; use 'not'.")

    def visit_BinOp(self, node: ast.BinOp):
        op = _ARITHMETIC.get(type(node.op))
        if op is None:
            raise self.fail("only + - * / % ** are supported in arithmetic.")
        left_kind, left, left_cols = self.visit(node.left)
        right_kind, right, right_cols = self.visit(node.right)
        self.require(left_kind, NUMBER, "arithmetic")
        self.require(right_kind, NUMBER, "arithmetic")
        return NUMBER, lambda df: op(left(df), right(df)), left_cols | right_cols

    def visit_BoolOp(self, node: ast.BoolOp):
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        parts, columns = [], set()
        for value in node.values:
            kind, evaluate, cols = self.visit(value)
            self.require(kind, BOOLEAN, "'and'/'or'")
            parts.append(evaluate)
            columns |= cols

        def evaluate_all(df: pd.DataFrame) -> np.ndarray:
            result = parts[0](df)
            for part in parts[1:]:
                result = combine(result, part(df))
            return result

        return BOOLEAN, evaluate_all, columns

    def visit_Compare(self, node: ast.Compare):
        kind, left, columns = self.visit(node.left)
        checks = []
        for op_node, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op_node, (ast.In, ast.NotIn)):
                check, right_kind = self.membership(left, right_node, op_node), None
            else:
                right_kind, right, cols = self.visit(right_node)
                columns |= cols
                check = self.comparison(kind, left, op_node, right_kind, right)
            checks.append(check)
            if right_kind is not None:
                kind, left = right_kind, right

        def evaluate_chain(df: pd.DataFrame) -> np.ndarray:
            result = checks[0](df)
            for check in checks[1:]:
                result = np.logical_and(result, check(df))
            return result

        return BOOLEAN, evaluate_chain, columns

    def comparison(self, left_kind, left, op_node, right_kind, right):
        op = _COMPARISONS[type(op_node)]
        if left_kind != right_kind:
            raise self.fail(
                f"cannot compare a {left_kind} value with a {right_kind} value."
            )
        if left_kind != NUMBER and op not in (operator.eq, operator.ne):
            raise self.fail(f"{left_kind} values support only == and !=.")
        return lambda df: op(left(df), right(df))

    def membership(self, left, node: ast.AST, op_node: ast.AST):
        if not isinstance(node, (ast.List, ast.Tuple, ast.Set)) or not all(
            isinstance(item, ast.Constant) for item in node.elts
        ):
            raise self.fail(
                "'in' needs a list of constants, such as ['Paris', 'Rome']."
            )
        options = [item.value for item in node.elts]
        negate = isinstance(op_node, ast.NotIn)

        def evaluate_membership(df: pd.DataFrame) -> np.ndarray:
            inside = pd.Series(left(df)).isin(options).to_numpy()
            return ~inside if negate else inside

        return evaluate_membership

    def visit_Call(self, node: ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS or node.keywords:
            raise self.fail(
                f"unknown function {name or ast.dump(node.func)!r}; the functions "
                f"are {', '.join(FUNCTIONS)}."
            )
        arity, function = FUNCTIONS[name]
        if len(node.args) != arity:
            raise self.fail(
                f"{name}() takes {arity} argument(s), got {len(node.args)}."
            )
        evaluators, columns = [], set()
        for arg in node.args:
            kind, evaluate, cols = self.visit(arg)
            self.require(kind, NUMBER, f"{name}()")
            evaluators.append(evaluate)
            columns |= cols
        return NUMBER, lambda df: function(*(e(df) for e in evaluators)), columns

    def require(self, kind: str, expected: str, where: str) -> None:
        if kind != expected:
            raise self.fail(f"{where} needs {expected} values, got a {kind} value.")
