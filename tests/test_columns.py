"""Column kinds, vocabularies and truncated sampling."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakegen.columns import Column, make_column
from fakegen.errors import ConfigError
from fakegen.vocabulary import city_countries, load_vocabulary

SPECS = {
    "uniform": {"type": "uniform", "low": 0.0, "high": 10.0},
    "normal": {"type": "normal", "mean": 5.0, "std": 2.0},
    "lognormal": {"type": "lognormal", "mean": 10.0, "sigma": 0.5},
    "integer": {"type": "integer", "low": 16, "high": 80},
    "date": {"type": "date", "start": "2020-01-01", "end": "2020-12-31"},
}


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_draw_follows_kind(kind):
    column = make_column("x", SPECS[kind], key="k")
    values = column.draw(20000, np.random.default_rng(0))
    assert len(values) == 20000
    if kind in ("uniform", "integer", "date"):
        assert values.min() >= column.low
        assert values.max() <= column.high
    assert abs(values.std() - column.scale) / column.scale < 0.05


def test_date_draws_whole_seconds_in_range():
    column = make_column("signup", SPECS["date"], key="k")
    values = column.draw(1000, np.random.default_rng(0))
    stamps = pd.to_datetime(values, unit="s")
    assert values.dtype == np.int64
    assert stamps.min() >= pd.Timestamp("2020-01-01")
    assert stamps.max() <= pd.Timestamp("2020-12-31")


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(sorted(SPECS)),
    low_share=st.floats(0.0, 0.9),
    width_share=st.floats(0.05, 0.5),
    seed=st.integers(0, 10**6),
)
def test_sample_between_stays_inside(kind, low_share, width_share, seed):
    column = make_column("x", SPECS[kind], key="k")
    span = column.high - column.low
    low = column.low + low_share * span
    high = min(low + width_share * span, column.high)
    values = column.sample_between(200, low, high, np.random.default_rng(seed))
    if column.is_discrete:
        low, high = np.ceil(low), np.floor(high)
    assert values.min() >= low
    assert values.max() <= high


def test_literal_weights_respected():
    spec = {"type": "literal", "values": ["a", "b"], "weights": [3, 1]}
    column = make_column("x", spec, key="k")
    codes = column.draw(40000, np.random.default_rng(0))
    assert 0.73 < (codes == 0).mean() < 0.77


def test_vocabulary_cities_have_countries():
    cities = load_vocabulary("cities", key="k")
    pairs = city_countries()
    assert set(cities) == set(pairs)
    assert pairs["Lisbon"] == "Portugal"
    assert "Germany" in load_vocabulary("countries", key="k")
    assert len(load_vocabulary("job_titles", key="k")) >= 20


def test_literal_from_vocabulary():
    column = make_column(
        "job", {"type": "literal", "vocabulary": "job_titles"}, key="k"
    )
    sample = column.sample(50, np.random.default_rng(0))
    assert isinstance(sample, pd.Categorical)
    assert set(sample.categories) == set(load_vocabulary("job_titles", key="k"))


def test_literal_from_faker_provider():
    pytest.importorskip("faker")
    spec = {"type": "literal", "provider": "job", "size": 30}
    first = make_column("job", spec, key="k")
    second = make_column("job", spec, key="k")
    assert len(first.values) == 30
    assert first.values == second.values


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "gaussian"}, "k.type is 'gaussian', expected one of"),
        ({"type": "uniform", "low": 5, "high": 1}, "k has low=5.0 and high=1.0"),
        ({"type": "normal", "mean": 0, "std": 0}, "k.std is 0.0; it must be"),
        ({"type": "integer", "low": 1}, "k.high is missing for an integer column."),
        ({"type": "uniform", "low": 0, "high": "x"}, "k.high is 'x'; it must be"),
        (
            {"type": "date", "start": "2020-13-45", "end": "2021-01-01"},
            "k.start is '2020-13-45', which is not a date",
        ),
        (
            {"type": "date", "start": "2021-01-01", "end": "2020-01-01"},
            "start must come before end",
        ),
        ({"type": "literal"}, "k gives no vocabulary; a literal column needs"),
        (
            {"type": "literal", "values": ["a"], "vocabulary": "cities"},
            "k gives values, vocabulary; a literal column needs exactly one",
        ),
        (
            {"type": "literal", "vocabulary": "planets"},
            "k.vocabulary is 'planets'; the shipped vocabularies are",
        ),
        ({"type": "literal", "values": ["a", "a"]}, "k.values repeats a value"),
        (
            {"type": "literal", "values": ["a", "b"], "weights": [1]},
            "k.weights is [1.0]; give one non-negative weight per value",
        ),
        (
            {"type": "uniform", "low": 0, "high": 1, "mean": 2},
            "k.mean is not a known key of a uniform column. Known keys: type, low, "
            "high.",
        ),
    ],
    ids=[
        "unknown-kind",
        "low-above-high",
        "zero-std",
        "missing-high",
        "text-number",
        "bad-date",
        "reversed-dates",
        "no-vocabulary",
        "two-vocabularies",
        "unknown-vocabulary",
        "repeated-value",
        "short-weights",
        "unknown-key",
    ],
)
def test_make_column_rejects_bad_spec(spec, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_column("x", spec, key="k")


def test_normal_draws_equal_numpy_normal():
    column = Column("score", "normal", {"mean": 600.0, "std": 80.0})
    drawn = column.draw(10_000, np.random.default_rng(5))
    expected = np.random.default_rng(5).normal(600.0, 80.0, 10_000)
    np.testing.assert_array_equal(drawn, expected)


def test_lognormal_draws_match_numpy_lognormal():
    column = Column("income", "lognormal", {"mean": 10.4, "sigma": 0.5})
    drawn = column.draw(10_000, np.random.default_rng(5))
    expected = np.random.default_rng(5).lognormal(10.4, 0.5, 10_000)
    np.testing.assert_allclose(drawn, expected, rtol=1e-15)
