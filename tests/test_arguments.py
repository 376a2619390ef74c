"""Checks of the command line before Hydra: mistyped keys and objectives."""

from __future__ import annotations

import re

import pytest

from fakegen import hydra_choices, presets
from fakegen.arguments import (
    check_arguments,
    check_mode_flags,
    check_preset_arguments,
    override_sections,
    top_level_names,
)
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


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["model=tre"],
            "model=tre names no option of the model group. Did you mean "
            "model=tree? The options are extra_trees, forest,",
        ),
        (
            ["+experiment=nois"],
            "experiment=nois names no option of the experiment group. Did you "
            "mean experiment=noise?",
        ),
        (
            ["-m", "constraint=threshold,xorr"],
            "constraint=xorr names no option of the constraint group. Did you "
            "mean constraint=xor?",
        ),
        (
            ["model.max_dept=3"],
            "model.max_dept is not a key under model=logreg. Did you mean "
            "model.max_iter? Keys of model: _target_, C, solver, max_iter, tol, "
            "class_weight. To add a key the preset does not set, write "
            "+model.max_dept=3.",
        ),
        (
            ["+experiment=tune_xgboost", "model.learning_rat=0.1"],
            "model.learning_rat is not a key under model=xgboost. Did you mean "
            "model.learning_rate?",
        ),
        (
            ["-m", "model=logreg,tree", "model.max_dept=3"],
            "model.max_dept is not a key under model=logreg or model=tree. Did you "
            "mean model.max_depth?",
        ),
        (
            ["constraint.constraints.income_flor.value=1"],
            "constraint.constraints.income_flor is not a key under "
            "constraint=applicant. Did you mean constraint.constraints.income_floor? "
            "Keys of constraint.constraints: working_age, income_floor, "
            "served_city, contract_order.",
        ),
        (
            ["constraint.constraints.income_floor.valeu=1"],
            "Did you mean constraint.constraints.income_floor.value? Keys of "
            "constraint.constraints.income_floor: type, column, op, value.",
        ),
        (
            ["generator=file", "constraint.constraints.rule.type=range"],
            "constraint.constraints.rule is not a key under constraint=none. Keys "
            "of constraint.constraints: none. To add a key the preset does not "
            "set, write +constraint.constraints.rule.type=range.",
        ),
        (
            ["generator.columns.age.lo=3"],
            "Did you mean generator.columns.age.low? Keys of generator.columns.age: "
            "type, low, high.",
        ),
    ],
    ids=[
        "option-typo",
        "experiment-typo",
        "swept-option-typo",
        "default-model-key",
        "experiment-model-key",
        "swept-models-pool-keys",
        "constraint-name",
        "constraint-entry-key",
        "file-preset-sets-constraint-none",
        "column-key",
    ],
)
def test_check_preset_arguments_rejects_typo(arguments, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_preset_arguments(arguments)


@pytest.mark.parametrize(
    "arguments",
    [
        ["model=tree", "model.max_depth=3", "+model.max_dept=3"],
        ["-m", "model=logreg,tree", "model.max_depth=3"],
        ["-m", "model=glob(*)", "model.anything=3"],
        ["-m", "+experiment=noise,penguins", "generator.label=species"],
        ["generator=file,applicant", "constraint.constraints.income_floor.value=3"],
        ["~model", "+model._target_=sklearn.svm.SVC", "model.C=2"],
        ["constraint.constraints.served_city.values.0=Oslo", "model=null"],
        ["constraint=expression", "constraint.expression=age > 3"],
        ["hydra/launcher=joblib", "hydra.launcher.n_jobs=-1", "--multirun"],
    ],
    ids=[
        "known-and-added-keys",
        "key-of-one-swept-model",
        "options-from-pattern",
        "key-of-one-swept-experiment",
        "key-of-one-swept-generator",
        "deleted-group",
        "list-item-and-null-option",
        "expression-preset",
        "hydra-keys",
    ],
)
def test_check_preset_arguments_passes_valid(arguments):
    check_preset_arguments(arguments)


def test_check_arguments_skips_presets_with_extra_config_dir():
    check_arguments(["--config-dir", "mine", "model=mine", "model.extra=1"])


def test_check_preset_arguments_leaves_unmergeable_experiment(tmp_path, monkeypatch):
    # The experiment replaces the mapping of columns with a list, which does
    # not merge; Hydra, not this check, reports that.
    (tmp_path / "odd.yaml").write_text(
        "# @package _global_\ngenerator:\n  columns: [1, 2]\n"
    )
    monkeypatch.setattr(presets, "experiments_dir", lambda: tmp_path)
    presets.group_options.cache_clear()
    try:
        check_preset_arguments(["+experiment=odd", "generator.rows=500"])
    finally:
        presets.group_options.cache_clear()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["-m", "--cfg", "job", "seed=0,1"],
            "--multirun and --cfg cannot be combined; give one of --run, "
            "--multirun, --cfg, --info, --shell-completion. To print the config "
            "of one job of a sweep, give --cfg job with that job's overrides and "
            "without -m.",
        ),
        (
            ["--info=config", "-c", "job"],
            "--cfg and --info cannot be combined; give one of --run, --multirun, "
            "--cfg, --info, --shell-completion.",
        ),
    ],
    ids=["sweep-and-config", "config-and-info"],
)
def test_check_mode_flags_rejects_two_modes(arguments, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        check_mode_flags(arguments)


@pytest.mark.parametrize(
    "arguments",
    [["--cfg", "job", "-cd", "conf"], ["-m", "-cn", "config", "seed=0,1"], []],
    ids=["config-and-config-dir", "sweep-and-config-name", "no-flags"],
)
def test_check_mode_flags_passes_one_mode(arguments):
    check_mode_flags(arguments)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("hydra.sweeper.n_trials=0", "hydra.sweeper.n_trials is 0; give the number "),
        ("hydra.sweeper.n_jobs=-1", "hydra.sweeper.n_jobs is -1; give the number "),
        (
            "hydra.sweeper.direction=maximise",
            "hydra.sweeper.direction is 'maximise'; give minimize or maximize. Did "
            "you mean hydra.sweeper.direction=maximize?",
        ),
    ],
    ids=["no-trials", "no-trials-per-batch", "direction-typo"],
)
def test_check_arguments_rejects_bad_sweeper_setting(argument, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_arguments(["-m", "+experiment=tune_xgboost", argument])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["hydra/sweeper=optuna", "hydra.sweeper.n_trial=3"],
            "hydra.sweeper.n_trial=3: the optuna sweeper has no key 'n_trial'. Did "
            "you mean hydra.sweeper.n_trials? Its keys are sampler, direction,",
        ),
        (
            ["+experiment=noise", "hydra.launcher.n_job=1"],
            "hydra.launcher.n_job=1: the joblib launcher has no key 'n_job'. Did "
            "you mean hydra.launcher.n_jobs?",
        ),
        (
            ["hydra.sweeper.n_trials=3"],
            "hydra.sweeper.n_trials=3: the basic sweeper has no key 'n_trials'. Add "
            "hydra/sweeper=optuna, the sweeper that takes it.",
        ),
        (
            ["hydra/sweeper=optuna", "hydra.sweeper.max_batch_size=3"],
            "the optuna sweeper has no key 'max_batch_size'. Add hydra/sweeper=basic",
        ),
        (
            ["+verifier.constraints.old={type: threshold, column: età, value: 6}"],
            "verifier.constraints.old is '{type: threshold, column: età, value: 6}', "
            "but Hydra reads unquoted text as ASCII only. Quote the text inside the "
            'mapping or list, as in "età".',
        ),
        (
            ["+verifier.constraints.old.column=età"],
            "verifier.constraints.old.column is 'età', but Hydra reads unquoted "
            "values as ASCII only. Quote the value inside the shell's quotes: "
            "'+verifier.constraints.old.column=\"età\"'.",
        ),
        (
            ['+verifier.constraints.età={type: threshold, column: "a", value: 6}'],
            "verifier.constraints.età contains characters outside ASCII, which "
            "Hydra does not accept in a key.",
        ),
        (
            ["seed=é"],
            "seed is 'é', but Hydra reads unquoted values as ASCII only.",
        ),
    ],
    ids=[
        "optuna-key-typo",
        "launcher-key-typo-under-experiment",
        "optuna-key-under-basic-sweeper",
        "basic-key-under-optuna",
        "unquoted-accent-in-mapping",
        "unquoted-accent-added-key",
        "accent-in-key",
        "unquoted-accent",
    ],
)
def test_check_arguments_rejects_hydra_choice(arguments, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_arguments(arguments)


@pytest.mark.parametrize(
    "arguments",
    [
        ["+experiment=tune_xgboost", "hydra.sweeper.n_trials=2"],
        ["+experiment=noise", "hydra.launcher.n_jobs=2"],
        ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
        ["hydra.sweeper.params.seed=0,1"],
        ["+hydra.launcher.anything=1"],
        ["+experiment=noise,tune_xgboost", "hydra.launcher.n_jobs=2"],
        ["generator=file", "generator.label='städt'"],
        ["~experiment"],
    ],
    ids=[
        "optuna-from-experiment",
        "joblib-from-experiment",
        "joblib-on-command-line",
        "basic-sweeper-params",
        "added-key",
        "swept-experiments",
        "quoted-accent",
        "deleted-experiment",
    ],
)
def test_check_arguments_passes_hydra_choice(arguments):
    check_arguments(arguments)


def test_uninstalled_sweeper_names_its_extra(monkeypatch):
    # The test install has every extra, so the plugin list of an install
    # without the tune extra is stood in for.
    monkeypatch.setattr(
        hydra_choices, "installed_options", lambda group: {"basic": ("params",)}
    )

    message = (
        "hydra/sweeper=optuna: the optuna sweeper is not installed. Install it "
        "with pip install 'fakegen[tune]'."
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_arguments(["-m", "hydra/sweeper=optuna"])


def test_slurm_launcher_needs_srun(monkeypatch):
    monkeypatch.setenv("PATH", "")

    message = (
        "hydra/launcher=submitit_slurm submits jobs to SLURM, but the srun "
        "command was not found on PATH. Run the sweep on a node of the SLURM "
        "cluster, or use hydra/launcher=submitit_local or joblib on this machine."
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_arguments(["-m", "hydra/launcher=submitit_slurm", "seed=0,1"])


def test_sweeper_params_mapping_rejected():
    argument = 'hydra.sweeper.params={model.C: "interval(0.1, 1)"}'

    message = (
        f"{argument} gives the sweep parameters as one mapping, which Hydra "
        "cannot merge into hydra.sweeper.params. Give each parameter as its own "
        "override, such as seed=0,1,2 (or 'model.C=interval(0.1, 1)' with the "
        "Optuna sweeper)"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_arguments(["-m", "hydra/sweeper=optuna", argument])
