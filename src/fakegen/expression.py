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
import contextlib
import contextvars
import difflib
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fakegen.columns import Column
from fakegen.errors import ExpressionError
from fakegen.frame import Table, read_literal, read_numbers

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
    # In floats: NumPy's integer power rejects negative exponents, which an
    # integer column such as age reaches in the extrapolation suite, and wraps
    # around silently on overflow.
    ast.Pow: np.float_power,
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
# Set by strict_arithmetic(); a context variable so threads do not share it.
_STRICT: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "fakegen_strict_arithmetic", default=False
)

# Value types an expression node can have; "literal" means a string column.
NUMBER, LITERAL, BOOLEAN = "number", "literal", "boolean"
# An expression of each kind, for messages that expect that kind.
EXAMPLES = {
    NUMBER: "arithmetic such as 'income / 12'",
    BOOLEAN: "a comparison such as 'age >= 18'",
    LITERAL: "a literal column such as 'city'",
}
Evaluator = Callable[[Table], np.ndarray]


def column_types(schema: Mapping[str, Column]) -> dict[str, str]:
    """Map each column of ``schema`` to its value type in the expression language."""
    types = {}
    for name, column in schema.items():
        if column.is_literal:
            types[name] = LITERAL
        elif column.kind == "boolean":
            types[name] = BOOLEAN
        else:
            types[name] = NUMBER
    return types


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, result type, columns and evaluator."""

    text: str
    kind: str
    columns: frozenset[str]
    _evaluate: Evaluator

    def evaluate(self, df: Table) -> np.ndarray:
        """Evaluate over every row of ``df`` at once and return an array.

        Floating-point faults give infinity or NaN silently, as in NumPy,
        unless :func:`strict_arithmetic` is active, where they raise
        FloatingPointError.
        """
        mode = "raise" if _STRICT.get() else "ignore"
        with np.errstate(divide=mode, invalid=mode, over=mode):
            result = self._evaluate(df)
        return np.broadcast_to(np.asarray(result), (len(df),))


@contextlib.contextmanager
def strict_arithmetic() -> Iterator[None]:
    """Make expressions raise FloatingPointError on division by zero and the like."""
    token = _STRICT.set(True)
    try:
        yield
    finally:
        _STRICT.reset(token)


def column_vocabularies(schema: Mapping[str, Column]) -> dict[str, tuple[str, ...]]:
    """Map each literal column of ``schema`` to the values it can take."""
    return {name: column.values for name, column in schema.items() if column.is_literal}


def compile_expression(
    text: str,
    schema: Mapping[str, str],
    *,
    key: str,
    expect: str | None = None,
    vocabularies: Mapping[str, Sequence[str]] | None = None,
) -> Expression:
    """Parse ``text`` and check it against ``schema`` (column name to value type).

    Raises :class:`ExpressionError` naming ``key`` when the text does not parse,
    uses a construct outside the language, names an unknown column, mixes types,
    or does not produce the ``expect`` type. When ``vocabularies`` maps literal
    columns to their values, a string compared with such a column by ``==``,
    ``!=``, ``in`` or ``not in`` must be one of those values.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"{key} is {text!r}; give an expression as a string.")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"{key} is {len(text)} characters long; the limit is {MAX_LENGTH}."
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
        compiler = _Compiler(schema, key=key, text=text, vocabularies=vocabularies)
        kind, evaluate, columns = compiler.visit(tree.body)
    except SyntaxError as exc:
        raise ExpressionError(_syntax_message(text, exc, key=key)) from exc
    except RecursionError as exc:
        # The checker walks the tree recursively, one frame or two per level.
        raise ExpressionError(
            f"{key} nests operators too deeply to check ({len(text)} characters); "
            "simplify the expression, for example by removing repeated signs "
            "or brackets."
        ) from exc
    if expect is not None and kind != expect:
        raise ExpressionError(
            f"{key} is {text!r}, which gives a {kind} value; a {expect} value "
            f"is expected here (for example {EXAMPLES[expect]})."
        )
    return Expression(
        text=text, kind=kind, columns=frozenset(columns), _evaluate=evaluate
    )


def _syntax_message(text: str, exc: SyntaxError, *, key: str) -> str:
    """Say where ``text`` stops parsing, or that it ends before it is complete."""
    stripped = text.strip()
    # Python reports offset 0 (or none) when the parser ran out of input.
    if not exc.offset or exc.offset > len(stripped):
        tail = stripped if len(stripped) <= 20 else "..." + stripped[-20:]
        return (
            f"{key} is {text!r}, which ends before the expression is complete; "
            f"finish it after {tail!r}."
        )
    return (
        f"{key} is {text!r}, which does not parse: {exc.msg} at column "
        f"{exc.offset}, at {stripped[exc.offset - 1 :]!r}. Fix the expression there."
    )


class _Compiler:
    """Turn whitelisted AST nodes into (type, evaluator, columns) triples."""

    def __init__(
        self,
        schema: Mapping[str, str],
        *,
        key: str,
        text: str,
        vocabularies: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.schema = schema
        self.key = key
        self.text = text
        self.vocabularies = vocabularies or {}

    def fail(self, what: str) -> ExpressionError:
        return ExpressionError(f"{self.key} is {self.text!r}: {what}")

    def source(self, node: ast.AST) -> str:
        """Return the text of ``node`` as the user wrote it."""
        return ast.get_source_segment(self.text.strip(), node) or type(node).__name__

    def visit(self, node: ast.AST) -> tuple[str, Evaluator, set[str]]:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            snippet = self.source(node)
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
            return kind, lambda df: read_literal(df, name), {name}
        return kind, lambda df: read_numbers(df, name), {name}

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

        def evaluate_all(df: Table) -> np.ndarray:
            result = parts[0](df)
            for part in parts[1:]:
                result = combine(result, part(df))
            return result

        return BOOLEAN, evaluate_all, columns

    def visit_Compare(self, node: ast.Compare):
        kind, left, columns = self.visit(node.left)
        left_node = node.left
        checks = []
        for op_node, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op_node, (ast.In, ast.NotIn)):
                check = self.membership(kind, left, left_node, right_node, op_node)
                right_kind = None
            else:
                right_kind, right, cols = self.visit(right_node)
                columns |= cols
                check = self.comparison(kind, left, op_node, right_kind, right)
                self.check_literal(left_node, right_node)
                self.check_literal(right_node, left_node)
            checks.append(check)
            if right_kind is not None:
                kind, left, left_node = right_kind, right, right_node

        def evaluate_chain(df: Table) -> np.ndarray:
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

    def membership(self, kind, left, left_node, node: ast.AST, op_node: ast.AST):
        if not isinstance(node, (ast.List, ast.Tuple, ast.Set)) or not all(
            isinstance(item, ast.Constant) for item in node.elts
        ):
            raise self.fail(
                "'in' needs a list of constants, such as ['Paris', 'Rome']."
            )
        for item in node.elts:
            if _constant_kind(item.value) != kind:
                raise self.fail(
                    f"the list {self.source(node)} contains {item.value!r}, which is "
                    f"not a {kind} value as {self.source(left_node)!r} is; use only "
                    f"{kind} constants in the list."
                )
            self.check_literal(left_node, item)
        options = [item.value for item in node.elts]
        negate = isinstance(op_node, ast.NotIn)

        def evaluate_membership(df: Table) -> np.ndarray:
            inside = pd.Series(left(df)).isin(options).to_numpy()
            return ~inside if negate else inside

        return evaluate_membership

    def check_literal(self, name_node: ast.AST, constant: ast.AST) -> None:
        """Reject a string that the literal column ``name_node`` never takes."""
        if not (
            isinstance(name_node, ast.Name)
            and name_node.id in self.vocabularies
            and isinstance(constant, ast.Constant)
            and isinstance(constant.value, str)
        ):
            return
        values = self.vocabularies[name_node.id]
        if constant.value not in values:
            raise self.fail(
                f"column {name_node.id!r} never takes the value "
                f"{constant.value!r}; its values are {', '.join(values)}. Use one "
                "of them."
            )

    def visit_Call(self, node: ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            raise self.fail(
                f"unknown function {self.source(node.func)!r}; the functions "
                f"are {', '.join(FUNCTIONS)}."
            )
        if node.keywords:
            raise self.fail(
                f"{self.source(node)!r} passes a keyword argument; give "
                f"{name}() positional arguments only."
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


def _constant_kind(value: object) -> str | None:
    """Return the value type of a constant in the list of an ``in`` test."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return LITERAL
    return None
