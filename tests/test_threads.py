"""BLAS thread limits: the check of blas_threads, the cap and its record."""

from __future__ import annotations

import importlib
import re

import pytest

from conftest import load_results
from fakegen.errors import ConfigError
from fakegen.threads import blas_threads_in_use, check_blas_threads, limit_blas_threads

SMALL = ("generator.rows=1000", "verifier.test_rows=200", "verifier.suite_rows=200")


@pytest.mark.parametrize("value", [None, 1, 4], ids=["null", "one", "four"])
def test_check_blas_threads_passes_valid(value):
    assert check_blas_threads(value) == value


@pytest.mark.parametrize(
    "value",
    [0, -1, 1.5, True, "two"],
    ids=["zero", "negative", "float", "bool", "text"],
)
def test_check_blas_threads_rejects_invalid(value):
    message = (
        f"blas_threads is {value!r}; give a number of threads of 1 or more, or "
        "null to keep the BLAS library's default of one per core."
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_blas_threads(value)


def test_limit_blas_threads_caps_and_restores():
    # numpy loads its BLAS library on import, which gives the cap a library.
    importlib.import_module("numpy")
    before = blas_threads_in_use()

    with limit_blas_threads(1):
        inside = blas_threads_in_use()

    assert inside == 1
    assert blas_threads_in_use() == before


def test_limit_blas_threads_null_changes_nothing():
    before = blas_threads_in_use()

    with limit_blas_threads(None):
        assert blas_threads_in_use() == before


@pytest.mark.parametrize(
    ("override", "expected"),
    [("blas_threads=1", 1), ("blas_threads=null", None)],
    ids=["one", "library-default"],
)
def test_run_records_blas_threads(fakegen, tmp_path, override, expected):
    completed = fakegen(override, "tracker=none", "verifier.figures=false", *SMALL)

    assert completed.returncode == 0, completed.stderr
    recorded = load_results(tmp_path / "run")["blas_threads"]
    if expected is None:
        # The library's default is one thread per core of this machine.
        assert recorded >= 1
    else:
        assert recorded == expected
