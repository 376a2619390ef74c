"""Column groups: how constraints split a table, and threads that build it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fakegen.columns import Column
from fakegen.constraints import make_constraints
from fakegen.errors import ConfigError, InfeasibleError
from fakegen.fingerprint import fingerprint
from fakegen.generator import balanced_labels, make_generator
from fakegen.groups import PARALLEL_ROWS, column_groups

REPO = Path(__file__).resolve().parents[1]
APPLICANT = yaml.safe_load((REPO / "conf/generator/applicant.yaml").read_text())
LENDING = yaml.safe_load((REPO / "conf/constraint/lending.yaml").read_text())

SCHEMA = {
    name: Column(name, "uniform", {"low": 0.0, "high": 1.0})
    for name in ("a", "b", "c", "d", "e")
}


def constraints(**specs):
    return make_constraints(specs, SCHEMA, key="constraint.constraints")


def test_column_groups_join_columns_through_shared_constraints():
    found = constraints(
        first={"type": "inequality", "left": "c", "op": ">", "right": "a"},
        second={"type": "threshold", "column": "b", "op": ">=", "value": 0.5},
        third={"type": "inequality", "left": "d", "op": "<", "right": "c"},
    )
    groups = column_groups(list(SCHEMA), found)
    assert [group.names for group in groups] == [("a", "c", "d"), ("b",), ("e",)]
    assert [[c.name for c in group.constraints] for group in groups] == [
        ["first", "third"],
        ["second"],
        [],
    ]


def test_column_groups_keep_column_order_for_any_constraint_order():
    found = constraints(
        late={"type": "inequality", "left": "e", "op": ">", "right": "d"},
        early={"type": "inequality", "left": "b", "op": ">", "right": "a"},
    )
    groups = column_groups(list(SCHEMA), found)
    assert [group.names for group in groups] == [("a", "b"), ("c",), ("d", "e")]


def lending_generator(**changes):
    return make_generator({**APPLICANT, **changes}, LENDING)


@pytest.mark.parametrize("workers", [2, 3], ids=["two-threads", "three-threads"])
def test_sample_same_rows_for_any_thread_count(workers):
    rows = PARALLEL_ROWS + 1000
    one = lending_generator(workers=1).sample(rows, np.random.default_rng(5))
    many = lending_generator(workers=workers).sample(rows, np.random.default_rng(5))
    assert fingerprint(one.X, one.y) == fingerprint(many.X, many.y)
    np.testing.assert_array_equal(lending_generator().label_of(many.X), many.y_clean)


def test_sample_infeasible_group_raises_from_thread():
    # No check before sampling compares two inequalities, so the solver
    # meets this contradiction on a worker thread.
    contradiction = {
        "constraints": {
            "ordered": {
                "type": "inequality",
                "left": "contract_end",
                "op": ">",
                "right": "contract_start",
            },
            "reversed": {
                "type": "inequality",
                "left": "contract_start",
                "op": ">",
                "right": "contract_end",
                "hard": True,
            },
        }
    }
    generator = make_generator({**APPLICANT, "workers": 2}, contradiction)
    with pytest.raises(InfeasibleError) as raised:
        generator.sample(PARALLEL_ROWS, np.random.default_rng(0))
    assert re.search(
        r"the constraints 'ordered' \(\d+ rows\), 'reversed' \(\d+ rows\) "
        "cannot all be met together",
        str(raised.value),
    )


@pytest.mark.parametrize(
    "workers",
    [0, -2, 1.5, "all", True],
    ids=["zero", "negative", "float", "text", "bool"],
)
def test_generator_workers_rejected(workers):
    message = (
        f"generator.workers is {workers!r}; give a number of threads of 1 or "
        "more, or null to use every core."
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        lending_generator(workers=workers)


@settings(max_examples=60, deadline=None)
@given(
    n_samples=st.integers(1, 5000),
    balance=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**32 - 1),
)
def test_balanced_labels_count_is_exact(n_samples, balance, seed):
    labels = balanced_labels(n_samples, balance, np.random.default_rng(seed))
    assert labels.dtype == np.int64
    assert set(np.unique(labels)) <= {0, 1}
    assert labels.sum() == round(balance * n_samples)


def test_balanced_labels_place_ones_uniformly():
    # Three ones among ten rows: every row should carry a one in 30% of draws.
    rng = np.random.default_rng(0)
    draws = np.stack([balanced_labels(10, 0.3, rng) for _ in range(20000)])
    share = draws.mean(axis=0)
    assert np.all(np.abs(share - 0.3) < 0.015), share
    # Pairs of rows carry ones together as often as a uniform choice says:
    # 3/10 * 2/9 of draws.
    together = (draws[:, 0] * draws[:, 9]).mean()
    assert abs(together - 3 / 10 * 2 / 9) < 0.01
