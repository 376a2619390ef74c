"""The expression language: parsing, type checks and vectorised evaluation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from fakegen.errors import ExpressionError
from fakegen.expression import compile_expression

SCHEMA = {"age": "number", "income": "number", "city": "literal", "member": "boolean"}
FRAME = pd.DataFrame(
    {
        "age": [20, 35, 50, 65],
        "income": [1000.0, 30000.0, 45000.0, 0.0],
        "city": pd.Categorical(["Rome", "Oslo", "Rome", "Paris"]),
        "member": [True, False, True, False],
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("age >= 35", [False, True, True, True]),
        ("18 <= age < 50", [True, True, False, False]),
        ("income / (age + 10) >= 500", [False, True, True, False]),
        ("city in ['Rome', 'Paris']", [True, False, True, True]),
        ("city not in ['Rome']", [False, True, False, True]),
        ("not member and age > 30", [False, True, False, True]),
        ("member or city == 'Paris'", [True, False, True, True]),
        ("abs(age - 40) <= 10", [False, True, True, False]),
        ("max(age, 40) == 40", [True, True, False, False]),
        ("log(income + 1) > 10", [False, True, True, False]),
        ("age % 2 == 0 and age ** 2 > 1000", [False, False, True, False]),
        ("-age < -40", [False, False, True, True]),
        ("true", [True, True, True, True]),
    ],
    ids=[
        "threshold",
        "chain",
        "arithmetic",
        "in-list",
        "not-in",
        "not-and",
        "or-literal",
        "abs",
        "max",
        "log",
        "mod-pow",
        "unary-minus",
        "constant",
    ],
)
def test_expression_evaluates(text, expected):
    expression = compile_expression(text, SCHEMA, key="k", expect="boolean")
    np.testing.assert_array_equal(expression.evaluate(FRAME), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An integer power would reject the negative exponent.
        ("age ** age > 0", [True, True, True, True]),
        # An integer power would wrap around: 50 ** 50 exceeds int64.
        ("age ** age > 1e30", [False, False, True, False]),
    ],
    ids=["negative-exponent", "beyond-int64"],
)
def test_expression_power_of_integer_column(text, expected):
    frame = pd.DataFrame({"age": np.array([2, 3, 50, -2], dtype=np.int64)})
    expression = compile_expression(text, {"age": "number"}, key="k", expect="boolean")

    np.testing.assert_array_equal(expression.evaluate(frame), expected)


def test_expression_reports_columns():
    expression = compile_expression(
        "income / age > 1 or city == 'Rome'", SCHEMA, key="k"
    )
    assert expression.columns == frozenset({"income", "age", "city"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "age >=",
            "k is 'age >=', which ends before the expression is complete; "
            "finish it after 'age >='.",
        ),
        (
            "age > 30 and",
            "k is 'age > 30 and', which ends before the expression is complete; "
            "finish it after 'age > 30 and'.",
        ),
        (
            "log(income) >= 10 and ",
            "k is 'log(income) >= 10 and ', which ends before the expression is "
            "complete; finish it after '...og(income) >= 10 and'.",
        ),
        (
            "age 3",
            "k is 'age 3', which does not parse: invalid syntax at column 5, "
            "at '3'. Fix the expression there.",
        ),
        (
            "agee > 3",
            "unknown column 'agee'; known columns are age, city, income, member. "
            "Did you mean 'age'?",
        ),
        ("__import__('os')", "unknown function '__import__'"),
        (
            "__import__('os').system('x') > 0",
            "unknown function \"__import__('os').system\"; the functions are "
            "abs, log, exp, sqrt, min, max.",
        ),
        ("(lambda x: x)(age) > 3", "unknown function 'lambda x: x'; the functions"),
        ("abs(x=age) > 1", "'abs(x=age)' passes a keyword argument"),
        ("age.real > 1", "'age.real' is not part of the expression language"),
        ("city > 'A'", "literal values support only == and !=."),
        ("city + 1 > 2", "arithmetic needs number values, got a literal value."),
        ("age == 'x'", "cannot compare a number value with a literal value."),
        ("age in [x]", "'in' needs a list of constants"),
        (
            "city in ['Rome', 3]",
            "the list ['Rome', 3] contains 3, which is not a literal value as 'city' "
            "is; use only literal constants in the list.",
        ),
        (
            "age in [20, 30, 'x']",
            "the list [20, 30, 'x'] contains 'x', which is not a number value as "
            "'age' is; use only number constants in the list.",
        ),
        ("member in [True, 1]", "contains 1, which is not a boolean value"),
        ("abs(age, 2) > 1", "abs() takes 1 argument(s), got 2."),
        ("lambda: 1", "is not part of the expression language"),
        ("[a for a in age]", "is not part of the expression language"),
        ("age + 1", "which gives a number value; a boolean value is expected"),
        ("", "k is ''; give an expression as a string."),
    ],
    ids=[
        "ends-early",
        "ends-after-and",
        "ends-long-tail",
        "syntax",
        "typo",
        "dunder-call",
        "dunder-attribute-call",
        "lambda-call",
        "keyword-argument",
        "attribute",
        "literal-order",
        "literal-arithmetic",
        "mixed-compare",
        "in-name",
        "in-mixed-literal",
        "in-mixed-number",
        "in-mixed-boolean",
        "arity",
        "lambda",
        "comprehension",
        "not-boolean",
        "empty",
    ],
)
def test_expression_rejects(text, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        compile_expression(text, SCHEMA, key="k", expect="boolean")


@pytest.mark.parametrize(
    ("text", "expect", "example"),
    [
        ("age + 1", "boolean", "a comparison such as 'age >= 18'"),
        ("age > 1", "number", "arithmetic such as 'income / 12'"),
    ],
    ids=["number-for-boolean", "boolean-for-number"],
)
def test_expression_wrong_kind_example_fits(text, expect, example):
    message = f"a {expect} value is expected here (for example {example})."
    with pytest.raises(ExpressionError, match=re.escape(message)):
        compile_expression(text, SCHEMA, key="k", expect=expect)


@pytest.mark.parametrize(
    "text",
    ["city == 'Atlantis'", "'Atlantis' != city", "city in ['Rome', 'Atlantis']"],
    ids=["equal", "not-equal-reversed", "in"],
)
def test_expression_rejects_unknown_literal(text):
    vocabularies = {"city": ("Oslo", "Paris", "Rome")}
    message = (
        f"k is {text!r}: column 'city' never takes the value 'Atlantis'; its "
        "values are Oslo, Paris, Rome. Use one of them."
    )
    with pytest.raises(ExpressionError, match=re.escape(message)):
        compile_expression(
            text, SCHEMA, key="k", expect="boolean", vocabularies=vocabularies
        )


def test_expression_rejects_deep_nesting():
    text = "-" * 600 + "age > 30"

    message = (
        "constraint.expression nests operators too deeply to check (608 characters)"
    )
    with pytest.raises(ExpressionError, match=re.escape(message)):
        compile_expression(text, {"age": "number"}, key="constraint.expression")
