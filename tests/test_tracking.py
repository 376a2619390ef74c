"""W&B tracking: offline runs, failures that cost a warning, the online fallback."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading

import pytest

from conftest import FAKEGEN, load_results
from fakegen.errors import ConfigError
from fakegen.tracking import NullTracker, has_login, make_tracker
from wandb_files import read_records, run_record

SMALL = ("generator.rows=1500", "verifier.test_rows=400", "verifier.suite_rows=300")
NOT_STARTED = "W&B could not start, so this run is not tracked: "


def logged_keys(run_folder) -> set[str]:
    """Return the top-level keys of every history and summary record of a run."""
    (path,) = run_folder.glob("run-*.wandb")
    keys = set()
    for record in read_records(path):
        items = []
        if record.WhichOneof("record_type") == "history":
            items = record.history.item
        elif record.WhichOneof("record_type") == "summary":
            items = record.summary.update
        keys |= {item.key or item.nested_key[0] for item in items}
    return keys


def test_tracking_offline_run_has_name_metrics_and_suites(
    fakegen, tmp_path, wandb_offline
):
    completed = fakegen(*SMALL)

    assert completed.returncode == 0, completed.stderr
    (folder,) = (wandb_offline / "wandb").glob("offline-run-*")
    record = run_record(folder)
    assert record.display_name == "applicant-logreg-seed0"
    assert record.project == "fakegen"
    assert record.run_group == ""
    keys = logged_keys(folder)
    assert {"test/accuracy", "suites", "status", "verdict/working_age"} <= keys
    results = load_results(tmp_path / "run")
    assert results["wandb_dir"] == str(folder)
    assert results["timings"]["track_finish"] > 0


def summary_values(run_folder) -> dict[str, object]:
    """Return the last value of every summary key of a run."""
    (path,) = run_folder.glob("run-*.wandb")
    values = {}
    for record in read_records(path):
        if record.WhichOneof("record_type") == "summary":
            for item in record.summary.update:
                values[item.key] = json.loads(item.value_json)
    return values


def test_tracking_unrecorded_objective_marks_run_failed(
    fakegen, tmp_path, wandb_offline
):
    # A learned edge is known only once the run has searched its boundary, and
    # a bracket of a billionth of a standard deviation contains no flip.
    completed = fakegen(
        "objective=constraint/income_floor/value/learned",
        "verifier.search_span=0.000000001",
        *SMALL,
    )

    assert completed.returncode == 1
    (folder,) = (wandb_offline / "wandb").glob("offline-run-*")
    assert summary_values(folder)["status"] == "failed"
    results = load_results(tmp_path / "run")
    assert results["status"] == "failed"
    assert results["error"].startswith(
        "ConfigError: objective is 'constraint/income_floor/value/learned'"
    )


@pytest.mark.parametrize(
    ("override", "env_dir", "warning"),
    [
        ("tracker.project=a/b", None, NOT_STARTED),
        (
            None,
            "file/below",
            "WANDB_DIR is '{dir}', which cannot be created or written (Not a "
            "directory), so this run is not tracked. Set WANDB_DIR to a folder "
            "you can write to.",
        ),
    ],
    ids=["invalid-project", "wandb-dir-under-a-file"],
)
def test_tracking_failure_costs_one_warning(
    fakegen, tmp_path, override, env_dir, warning
):
    env = {}
    if env_dir is not None:
        # A directory below a regular file cannot be created, even by root.
        (tmp_path / "file").write_text("not a directory", encoding="utf-8")
        env["WANDB_DIR"] = str(tmp_path / env_dir)
    completed = fakegen(*SMALL, *([override] if override else []), env=env)
    output = completed.stdout + completed.stderr

    assert completed.returncode == 0, output
    assert output.count(warning.format(dir=env.get("WANDB_DIR"))) == 1
    assert "Traceback" not in output
    results = load_results(tmp_path / "run")
    assert results["status"] == "completed"
    assert "wandb_dir" not in results
    assert "test/accuracy" in results["metrics"]


def test_tracking_unwritable_dir_is_not_replaced(fakegen, tmp_path, immutable_folder):
    # W&B itself would fall back to a shared temporary folder here.
    completed = fakegen(*SMALL, f"tracker.dir={immutable_folder}")
    output = completed.stdout + completed.stderr

    assert completed.returncode == 0, output
    warning = (
        f"tracker.dir is {str(immutable_folder)!r}, which cannot be created or "
        "written (Operation not permitted), so this run is not tracked"
    )
    assert output.count(warning) == 1
    assert "wandb_dir" not in load_results(tmp_path / "run")


@pytest.fixture
def loopback_listener():
    """Listen on a loopback port and count the connections it accepts."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted: list[tuple] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, address = server.accept()
            except OSError:
                continue
            accepted.append(address)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "warnings"),
    [("online", 1), ("offline", 0)],
    ids=["online-without-login", "offline"],
)
def test_tracking_makes_no_connection(tmp_path, loopback_listener, mode, warnings):
    port, accepted = loopback_listener
    empty_netrc = tmp_path / "netrc"
    empty_netrc.write_text("", encoding="utf-8")
    wandb_dir = tmp_path / "wandb-files"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("WANDB_MODE", "WANDB_API_KEY")
    }
    # Any request W&B made would go to this loopback listener, never a host.
    env.update(
        HOME=str(tmp_path),
        NETRC=str(empty_netrc),
        WANDB_DIR=str(wandb_dir),
        WANDB_BASE_URL=f"http://127.0.0.1:{port}",
    )
    completed = subprocess.run(
        [
            str(FAKEGEN),
            f"tracker.mode={mode}",
            *SMALL,
            f"hydra.run.dir={tmp_path / 'run'}",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = completed.stdout + completed.stderr

    assert completed.returncode == 0, output
    assert len(re.findall("no W&B login was found", output)) == warnings
    assert accepted == []
    assert len(list((wandb_dir / "wandb").glob("offline-run-*"))) == 1
    assert load_results(tmp_path / "run")["status"] == "completed"


def test_has_login_reads_api_key(monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "local-test-key")
    assert has_login()


def test_has_login_reads_netrc_entry(monkeypatch, tmp_path):
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text(
        "machine 127.0.0.1\n  login user\n  password local-test-key\n", encoding="utf-8"
    )
    netrc_file.chmod(0o600)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(netrc_file))
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:1")
    assert has_login()
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.2:1")
    assert not has_login()


def test_has_login_without_credentials(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "absent"))
    assert not has_login()


def test_make_tracker_rejects_unknown_mode():
    message = "tracker.mode is 'cloud'; use one of offline, online, disabled."
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_tracker({"kind": "wandb", "project": "fakegen", "mode": "cloud"})


@pytest.mark.parametrize("project", ["", "   ", 3], ids=["empty", "blank", "number"])
def test_make_tracker_rejects_bad_project(project):
    message = f"tracker.project is {project!r}; give a W&B project name"
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_tracker({"kind": "wandb", "project": project})


def test_make_tracker_none_records_nothing():
    tracker = make_tracker({"kind": "none"})
    assert type(tracker) is NullTracker
    assert tracker.run_dir is None


def test_tracking_bad_mode_fails_run_with_results(fakegen, tmp_path):
    completed = fakegen("tracker.mode=cloud", *SMALL)
    message = "tracker.mode is 'cloud'; use one of offline, online, disabled."
    output = completed.stdout + completed.stderr

    assert completed.returncode == 1
    assert message in output
    assert "Traceback" not in output
    results = load_results(tmp_path / "run")
    assert results["status"] == "failed"
    assert results["error"] == f"ConfigError: {message}"
