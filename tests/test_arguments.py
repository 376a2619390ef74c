"""Checks of the command line before Hydra: mistyped keys and objectives."""

from __future__ import annotations

import re

import pytest

from fakegen.arguments import check_arguments, override_sections, top_level_names
from fakegen.checks import check_override_keys
from fakegen.errors import ConfigError


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["generator.nosie=0.1"],
            "generator.nosie is not a known key. Did you mean generator.noise?",
        ),
        (
            ["model=tree", "verifier.test_row=100,200"],
            "verifier.test_row is not a known key. Did you mean verifier.test_rows?",
        ),
        (
            ["tracker.projct=demo"],
            "tracker.projct is not a known key. Did you mean tracker.project?",
        ),
    ],
    ids=["generator", "swept-verifier-key", "tracker"],
)
def test_check_override_keys_rejects_typo(arguments, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_override_keys(arguments, override_sections())


@pytest.mark.parametrize(
    "arguments",
    [
        ["generator.columns.age.low=3", "constraint.constraints.rule.value=2"],
        ["+generator.extra=1", "~generator.noise", "++tracker.new=2"],
        ["model.C=2.0", "hydra.run.dir=out", "model=tree", "-m", "--help"],
        ["encoder.scaling=none", "verifier.constraints.rule.learned=0.9"],
    ],
    ids=["nested-keys", "add-and-delete", "other-sections", "known-keys"],
)
def test_check_override_keys_passes_valid_overrides(arguments):
    check_override_keys(arguments, override_sections())


def test_check_override_keys_passes_group_choices():
    check_override_keys(
        ["model=tree", "seed=3", "experiment=noise", "hydra/launcher=joblib"],
        override_sections(),
        top_level=top_level_names(),
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["objective=7"], "objective is 7; give a metric name that starts with"),
        (
            ["-m", "+objective=test/f2", "seed=0,1"],
            "objective is 'test/f2', which no run records. Did you mean test/f1?",
        ),
    ],
    ids=["number", "typo-with-plus"],
)
def test_check_arguments_reads_objective_as_hydra(arguments, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_arguments(arguments)


def test_check_arguments_leaves_objective_sweep_to_jobs():
    check_arguments(["-m", "objective=test/accuracy,test/nope"])
