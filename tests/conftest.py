"""Shared fixtures: run the real ``fakegen`` command with W&B offline in a temp dir."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
FAKEGEN = Path(sys.executable).with_name("fakegen")


@pytest.fixture(autouse=True)
def wandb_offline(tmp_path_factory, monkeypatch) -> Path:
    """Keep W&B offline and its files in a temporary folder for every test."""
    wandb_dir = tmp_path_factory.mktemp("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(wandb_dir))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    return wandb_dir


def run_command(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    """Run the installed ``fakegen`` console script and capture its output."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(FAKEGEN), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def fakegen(tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """Return a function that runs ``fakegen ARGS`` in ``tmp_path``.

    Single runs write to ``tmp_path/run`` and sweeps to ``tmp_path/sweep``.
    """

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
        directories = [
            f"hydra.run.dir={tmp_path / 'run'}",
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
        ]
        return run_command([*args, *directories], cwd=cwd or tmp_path, env=env)

    return run


def run_with_address_limit(
    args: list[str], *, cwd: Path
) -> subprocess.CompletedProcess:
    """Run ``args`` with a 3 GB address space, enough for the libraries only."""
    command = f"ulimit -v 3000000 && exec {shlex.join(map(str, args))}"
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def immutable_folder(tmp_path) -> Iterator[Path]:
    """Return a folder that takes no new file, even for root.

    File permissions do not stop root, so the folder gets the immutable
    attribute; the test is skipped where chattr cannot set it.
    """
    folder = tmp_path / "locked"
    folder.mkdir()
    locked = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    if locked.returncode != 0:
        pytest.skip("chattr +i is not available to this user")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def load_results(run_dir: Path) -> dict:
    """Read ``run_dir/results.json``."""
    return json.loads((Path(run_dir) / "results.json").read_text(encoding="utf-8"))


def assert_failed_before_data(
    completed: subprocess.CompletedProcess, run_dir: Path, message: str
) -> None:
    """Assert that a run ended with ``message`` alone, before any data existed."""
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert completed.returncode == 1
    assert len(errors) == 1, completed.stderr
    assert re.search(re.escape(message) + "$", errors[0]), errors[0]
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "Generated rows=" not in completed.stderr
    results = load_results(run_dir)
    assert results["status"] == "failed"
    assert "dataset" not in results
    assert "metrics" not in results
    assert "generate" not in results["timings"]


def load_preset(name: str) -> dict:
    """Read a constraint preset, resolving the one interpolation presets use."""
    preset = yaml.safe_load((REPO / f"conf/constraint/{name}.yaml").read_text())
    for spec in preset["constraints"].values():
        if spec.get("expression") == "${constraint.expression}":
            spec["expression"] = preset["expression"]
    return preset


def interrupt_once(
    command: list[str],
    *,
    cwd: Path,
    started: Path | Callable[[int], Path],
    stop: int,
    settle: float = 0.0,
) -> subprocess.CompletedProcess:
    """Run ``command``, send it ``stop`` once ``started`` exists, and wait.

    ``started`` may be a function of the process id that returns the path.
    ``settle`` seconds pass between ``started`` appearing and the signal.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # A shell ignores SIGINT in the jobs it starts in the background, and
        # children inherit that. Restoring the default makes SIGINT act as a
        # terminal's Ctrl-C however the test run was started.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    if callable(started):
        started = started(process.pid)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(settle)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(command, process.returncode, "", stderr)
