"""Column groups, batches built on threads, and exactly balanced labels."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import load_preset
from fakegen import groups as groups_module
from fakegen.columns import Column
from fakegen.constraints import make_constraints
from fakegen.errors import ConfigError, InfeasibleError
from fakegen.fingerprint import fingerprint
from fakegen.generator import balanced_labels, make_generator
from fakegen.groups import column_groups

REPO = Path(__file__).resolve().parents[1]
APPLICANT = yaml.safe_load((REPO / "conf/generator/applicant.yaml").read_text())
LENDING = yaml.safe_load((REPO / "conf/constraint/lending.yaml").read_text())

SCHEMA = {
    name: Column(name, "uniform", {"low": 0.0, "high": 1.0})
    for name in ("a", "b", "c", "d", "e")
}


def constraints(**specs):
    return make_constraints(specs, SCHEMA, key="constraint.constraints")


def test_column_groups_join_shared_columns():
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


def test_column_groups_keep_column_order():
    found = constraints(
        late={"type": "inequality", "left": "e", "op": ">", "right": "d"},
        early={"type": "inequality", "left": "b", "op": ">", "right": "a"},
    )
    groups = column_groups(list(SCHEMA), found)
    assert [group.names for group in groups] == [("a", "b"), ("c",), ("d", "e")]


def lending_generator(**changes):
    return make_generator({**APPLICANT, **changes}, LENDING)


@pytest.fixture
def small_batches(monkeypatch):
    """Build tables in batches of 5,000 rows, so small tables use threads."""
    monkeypatch.setattr(groups_module, "BATCH_ROWS", 5000)


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("workers", [2, 3], ids=["two-threads", "three-threads"])
def test_sample_same_rows_any_threads(workers):
    rows = 23_000
    single = lending_generator(workers=1).sample(rows, np.random.default_rng(5))
    many = lending_generator(workers=workers).sample(rows, np.random.default_rng(5))
    assert fingerprint(single.X, single.y) == fingerprint(many.X, many.y)
    np.testing.assert_array_equal(lending_generator().label_of(many.X), many.y_clean)
    assert many.y_clean.sum() == rows // 2


PRESETS = sorted(
    path.stem
    for path in (REPO / "conf/constraint").glob("*.yaml")
    if path.stem != "none"
)


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_same_rows_any_threads(preset):
    rows = 12_000
    single = make_generator({**APPLICANT, "workers": 1}, load_preset(preset))
    threaded = make_generator({**APPLICANT, "workers": 2}, load_preset(preset))
    first = single.sample(rows, np.random.default_rng(3))
    second = threaded.sample(rows, np.random.default_rng(3))
    assert fingerprint(first.X, first.y) == fingerprint(second.X, second.y)
    np.testing.assert_array_equal(threaded.label_of(second.X), second.y_clean)
    valid = threaded.sample_valid(rows, np.random.default_rng(4))
    assert valid.y.all()


@pytest.mark.usefixtures("small_batches")
def test_sample_infeasible_raises_from_thread():
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
        generator.sample(12_000, np.random.default_rng(0))
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
    # Two given rows both carry a one in 3/10 * 2/9 of uniform draws.
    together = (draws[:, 0] * draws[:, 9]).mean()
    assert abs(together - 3 / 10 * 2 / 9) < 0.01
