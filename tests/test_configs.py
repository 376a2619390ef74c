"""Every option of every config group, and every experiment, composes and builds."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from fakegen.cli import register_experiments
from fakegen.paths import config_dir, experiments_dir
from fakegen.pipeline import make_plan

GROUPS = ("generator", "constraint", "encoder", "model", "verifier", "tracker")
OPTIONS = [
    (group, path.stem)
    for group in GROUPS
    for path in sorted((config_dir() / group).glob("*.yaml"))
]
EXPERIMENTS = sorted(path.stem for path in experiments_dir().glob("*.yaml"))


def compose_config(overrides: list[str]):
    register_experiments()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose("config", overrides=overrides)


@pytest.mark.parametrize(
    ("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS]
)
def test_option_composes_and_builds(group, option):
    overrides = [f"{group}={option}"]
    if (group, option) == ("constraint", "none"):
        # No constraints only make sense for the user's own files.
        overrides.append("generator=file")
    if (group, option) == ("encoder", "native"):
        # Literals kept as categories need a model that splits categories.
        overrides.append("model=xgboost")
    if "generator=file" in overrides:
        # The file source needs the user's paths; compose does not read them.
        overrides += ["generator.train=train.csv", "generator.label=species"]
    cfg = compose_config(overrides)

    assert cfg.get(group) is not None
    if cfg.generator.get("kind") == "synthetic":
        plan = make_plan(OmegaConf.to_container(cfg, resolve=True), cfg)
        assert plan.generator is not None
        assert plan.generator.label_constraints or plan.generator.label_rule


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_and_builds(name):
    cfg = compose_config([f"+experiment={name}"])
    container = OmegaConf.to_container(cfg, resolve=True)

    plan = make_plan(container, cfg)

    assert plan.seed == cfg.seed
    assert plan.kind in ("synthetic", "file")


def test_every_group_has_options():
    groups = {group for group, _ in OPTIONS}

    assert groups == set(GROUPS)
    assert EXPERIMENTS
