"""Atomic writing of results.json."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from fakegen.results import read_results, write_json_atomic


def test_write_json_atomic_converts_numpy(tmp_path):
    path = tmp_path / "results.json"

    write_json_atomic(path, {"rows": np.int64(3), "accuracy": np.float32(0.5)})

    assert read_results(path) == {"rows": 3, "accuracy": 0.5}


def test_write_json_atomic_keeps_old_file_on_error(tmp_path):
    path = tmp_path / "results.json"
    write_json_atomic(path, {"status": "completed"})

    with pytest.raises(TypeError, match="object is not JSON serialisable"):
        write_json_atomic(path, {"status": "failed", "bad": object()})

    assert json.loads(path.read_text()) == {"status": "completed"}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_write_json_atomic_uses_default_file_mode(tmp_path):
    path = tmp_path / "results.json"

    write_json_atomic(path, {"status": "completed"})

    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
