"""Tests of the missing-plugin check: its message names the extra to install."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from fakegen import cli, extras
from fakegen.errors import ConfigError

MISSING = {("hydra/sweeper", "optuna"): ("fakegen_no_such_plugin", "tune")}
HINT = (
    "install the tune extra, with pip install -e '.[tune]' in a clone of fakegen "
    "or pip install 'fakegen[tune]'."
)


@pytest.mark.parametrize(
    "arguments",
    [
        ["-m", "+experiment=tune_xgboost"],
        ["-m", "experiment=tune_xgboost"],
        ["-m", "hydra/sweeper=optuna", "model=tree"],
    ],
    ids=["experiment-with-plus", "experiment", "sweeper-option"],
)
def test_check_plugins_names_the_extra(monkeypatch, arguments):
    monkeypatch.setattr(extras, "PLUGIN_EXTRAS", MISSING)
    chosen = next(a for a in arguments if "optuna" in a or "experiment" in a)

    message = f"{chosen} uses Hydra's optuna sweeper, which is not installed; {HINT}"
    with pytest.raises(ConfigError, match=re.escape(message)):
        extras.check_plugins(arguments, cli.register_experiments())


@pytest.mark.parametrize(
    "arguments",
    [
        ["-m", "+experiment=constraint_zoo"],
        ["model=tree", "generator.rows=500"],
        ["-m", "hydra/sweeper=basic"],
    ],
    ids=["experiment-without-plugin", "plain-run", "basic-sweeper"],
)
def test_check_plugins_passes_other_options(monkeypatch, arguments):
    monkeypatch.setattr(extras, "PLUGIN_EXTRAS", MISSING)

    extras.check_plugins(arguments, cli.register_experiments())


def test_check_plugins_passes_installed_plugin():
    extras.check_plugins(["-m", "+experiment=tune_xgboost"], cli.register_experiments())


def test_missing_sweeper_command_one_line(tmp_path):
    # A None entry in sys.modules makes the import fail as if the tune extra
    # were not installed, while the console script runs as usual.
    script = (
        "import sys; sys.modules['hydra_plugins.hydra_optuna_sweeper'] = None; "
        "from fakegen.cli import main; sys.argv[0] = 'fakegen'; main()"
    )
    command = [sys.executable, "-c", script, "-m", "+experiment=tune_xgboost"]

    completed = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        "ERROR +experiment=tune_xgboost uses Hydra's optuna sweeper, which is not "
        f"installed; {HINT}"
    ]
    assert not (tmp_path / "multirun").exists()
