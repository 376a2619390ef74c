"""The code base passes ruff's lint and format checks at 88 columns."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

FOLDERS = [name for name in ("src", "tests", "benchmarks") if (REPO / name).is_dir()]


def test_ruff_check_passes():
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *FOLDERS],
        cwd=REPO,
        capture_output=True,
        text=True,
    )

    assert completed.returncode == 0, completed.stdout


def test_ruff_format_is_clean():
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *FOLDERS],
        cwd=REPO,
        capture_output=True,
        text=True,
    )

    assert completed.returncode == 0, completed.stdout
