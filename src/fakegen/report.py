"""Sweep summary: one row per run, read from the results.json files of a sweep."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from fakegen.errors import FakegenError
from fakegen.planned import MULTIRUN_YAML, planned_jobs
from fakegen.results import FAILED_RESULTS_NAME, RESULTS_NAME, read_results

log = logging.getLogger(__name__)

SUMMARY_CSV = "summary.csv"
SUMMARY_MD = "summary.md"
# Status of a job that multirun.yaml plans but that has no folder.
NOT_STARTED = "not_started"

# Maximum number of job folders a warning names; it only counts the rest.
MAX_LISTED = 10

# Numeric value of each verdict, so runs and cells can be averaged.
VERDICT_SCORES = {"learned": 1.0, "partial": 0.5, "not_learned": 0.0}

# Metrics shown in the Markdown table; the CSV keeps every metric.
SHOWN_METRICS = ("test/accuracy", "test/rule_agreement", "bayes/accuracy")

# Columns every summary has, in this order, before metrics and verdicts.
BASE_COLUMNS = (
    "run",
    "name",
    "status",
    "overrides",
    "constraint",
    "model",
    "seed",
    "rows",
    "noise",
    "score",
)

# Names of the JSON values a results.json may contain in place of an object.
JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}
JSON_KINDS |= {bool: "true or false", type(None): "null"}


class SweepDirError(FakegenError, ValueError):
    """A sweep directory is missing or contains no run."""


@dataclass
class SweepSummary:
    """The runs of one sweep directory and where their summary was written.

    Parameters
    ----------
    sweep_dir : Path
        The sweep directory.
    runs : pandas.DataFrame
        One row per run directory, failed and unfinished runs included.
    files : list of Path
        The summary files and figures written into ``sweep_dir``.
    """

    sweep_dir: Path
    runs: pd.DataFrame
    files: list[Path] = field(default_factory=list)

    @property
    def is_single_run(self) -> bool:
        """Whether ``sweep_dir`` is the folder of one run rather than of a sweep."""
        return self.runs["run"].tolist() == ["."]

    @property
    def failed(self) -> pd.DataFrame:
        """Runs whose status is anything but completed."""
        return self.runs[self.runs["status"] != "completed"]

    def describe(self) -> str:
        """Return one line that counts the runs by status."""
        counts = self.runs["status"].value_counts()
        parts = [f"{count} {status}" for status, count in counts.items()]
        runs = "1 run" if len(self.runs) == 1 else f"{len(self.runs)} runs"
        return f"{runs} in {self.sweep_dir}: {', '.join(parts)}"


def find_run_dirs(sweep_dir: Path) -> list[Path]:
    """Return every run directory below ``sweep_dir``, with or without results.

    Hydra writes ``.hydra/`` into a job's directory when the job starts, so a
    run that was interrupted before writing results.json is still found.
    Hydra also numbers the job directories of a sweep, so a numbered folder
    that lost both files is found as well. When nothing below ``sweep_dir``
    is a run but ``sweep_dir`` itself is one, that single run is returned.
    """
    found = {path.parent for path in sweep_dir.rglob(RESULTS_NAME)}
    found |= {path.parent for path in sweep_dir.rglob(".hydra") if path.is_dir()}
    found |= {
        path for path in sweep_dir.iterdir() if path.is_dir() and path.name.isdigit()
    }
    if found == {sweep_dir}:
        return [sweep_dir]
    found.discard(sweep_dir)
    return sorted(found, key=_natural_key)


def collect_runs(sweep_dir: Path | str, *, since: float | None = None) -> pd.DataFrame:
    """Read every run of ``sweep_dir`` into one row of a DataFrame.

    With ``since`` (seconds since the epoch), only runs that started at or
    after that time count, because a sweep into the folder of an earlier,
    larger sweep leaves that sweep's other job folders in place.

    Raises
    ------
    SweepDirError
        If ``sweep_dir`` is not a directory or contains no run directory.
    """
    sweep_dir = Path(sweep_dir)
    if sweep_dir.exists() and not sweep_dir.is_dir():
        raise SweepDirError(
            f"sweep directory {str(sweep_dir)!r} is a file; give the folder of a "
            "multirun, such as multirun/DATE/TIME."
        )
    if not sweep_dir.is_dir():
        raise SweepDirError(
            f"sweep directory {str(sweep_dir)!r} does not exist; give the folder "
            "of a multirun, such as multirun/DATE/TIME."
        )
    run_dirs = find_run_dirs(sweep_dir)
    plan = planned_jobs(sweep_dir)
    older = find_older_job_dirs(sweep_dir, run_dirs, plan, since=since)
    if older:
        _warn_older_job_dirs(sweep_dir, older)
        run_dirs = [path for path in run_dirs if path not in older]
    if not run_dirs:
        raise SweepDirError(
            f"sweep directory {str(sweep_dir)!r} contains no run (no {RESULTS_NAME} "
            "and no .hydra folder below it); give the folder of a multirun."
        )
    planned = {name: " ".join(job) for name, job in (plan or {}).items()}
    rows = [_run_row(sweep_dir, run_dir) for run_dir in run_dirs]
    for row in rows:
        # A job folder that lost .hydra/ and results.json keeps its plan's overrides.
        if not row["overrides"]:
            row["overrides"] = planned.get(row["run"], "")
    rows += _not_started_rows(planned, started={row["run"] for row in rows})
    frame = pd.DataFrame(rows)
    leading = list(BASE_COLUMNS)
    trailing = sorted(column for column in frame if column not in BASE_COLUMNS)
    # The error is the longest text of a row, so it goes last.
    trailing = [column for column in trailing if column != "error"] + ["error"]
    return frame.reindex(columns=leading + trailing)


def _not_started_rows(planned: dict[str, str], started: set[str]) -> list[dict]:
    """Return a row for each ``planned`` job that is not among the ``started`` ones.

    Such a job has no folder, or only the folder of an earlier sweep's job.
    """
    return [
        {
            "run": name,
            "status": NOT_STARTED,
            "overrides": overrides,
            "error": "no job folder: the sweep stopped before this job started",
        }
        for name, overrides in planned.items()
        if name not in started
    ]


def find_older_job_dirs(
    sweep_dir: Path,
    run_dirs: list[Path],
    plan: dict[str, list[str]] | None,
    *,
    since: float | None = None,
) -> list[Path]:
    """Return the run directories that an earlier sweep into ``sweep_dir`` left.

    With ``since``, a run started before that time is older. Without it, the
    plan in multirun.yaml decides, because Hydra's basic sweeper rewrites
    that file before the first job of each sweep: a job folder that is not
    in the plan, or whose .hydra/overrides.yaml differs from the plan, is
    older.

    Parameters
    ----------
    sweep_dir : Path
        The sweep directory.
    run_dirs : list of Path
        The run directories found below ``sweep_dir``.
    plan : dict of str to list of str, or None
        Job folder name to overrides, from
        :func:`fakegen.planned.planned_jobs`; None when unknown, and
        then, without ``since``, every run counts.
    since : float, default=None
        When the latest sweep started, in seconds since the epoch.
    """
    if since is not None:
        return [path for path in run_dirs if _started_at(path) < since]
    if plan is None:
        return []
    plan_written = (sweep_dir / MULTIRUN_YAML).stat().st_mtime
    older = []
    for run_dir in run_dirs:
        name = run_dir.relative_to(sweep_dir).as_posix()
        overrides = _job_overrides(run_dir)
        if name in plan and (overrides is None or _same_job(overrides, plan[name])):
            continue
        if _started_at(run_dir) >= plan_written:
            # A job that started after the plan was written but is not in it
            # comes from a sweeper that writes no multirun.yaml, such as
            # Optuna's, so the plan belongs to an earlier sweep.
            return []
        older.append(run_dir)
    return older


def _job_overrides(run_dir: Path) -> list[str] | None:
    """Return the overrides the job in ``run_dir`` last started with, if recorded."""
    overrides = _read_hydra_file(run_dir, "overrides.yaml")
    if overrides is None:
        try:
            overrides = read_results(run_dir / RESULTS_NAME).get("overrides")
        except (OSError, ValueError, AttributeError):
            return None
    return list(map(str, overrides)) if isinstance(overrides, list) else None


def _same_job(overrides: list[str], planned: list[str]) -> bool:
    """Return whether two jobs' overrides match, in any order and ignoring ``resume``.

    A sweep run again with resume=true is the same sweep, so its jobs match the
    folders of the attempt before it.
    """

    def kept(values: list[str]) -> list[str]:
        return sorted(v for v in values if v.lstrip("+~").split("=")[0] != "resume")

    return kept(overrides) == kept(planned)


def _warn_older_job_dirs(sweep_dir: Path, older: list[Path]) -> None:
    names = [path.relative_to(sweep_dir).as_posix() for path in older]
    listed = ", ".join(names[:MAX_LISTED])
    if len(names) > MAX_LISTED:
        listed += f" and {len(names) - MAX_LISTED} more"
    log.warning(
        "Left out %d job folder%s (%s) that an earlier sweep into %s left there. "
        "The report counts only the jobs of the latest sweep. Give each sweep its "
        "own hydra.sweep.dir to keep them apart.",
        len(names),
        "" if len(names) == 1 else "s",
        listed,
        sweep_dir,
    )


def _run_row(sweep_dir: Path, run_dir: Path) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run": run_dir.relative_to(sweep_dir).as_posix(),
        "overrides": " ".join(
            map(str, _read_hydra_file(run_dir, "overrides.yaml") or [])
        ),
        "error": "",
    }
    path = _latest_attempt(run_dir)
    try:
        results = read_results(path)
    except FileNotFoundError:
        results = _started_job(run_dir)
        row["status"] = "missing"
        row["error"] = f"no {RESULTS_NAME}: the run was interrupted or never ran"
    except (OSError, ValueError) as exc:
        results = _started_job(run_dir)
        row["status"] = "unreadable"
        row["error"] = f"{RESULTS_NAME} is unreadable: {exc}"
    if not isinstance(results, dict):
        row["status"] = "unreadable"
        kind = JSON_KINDS.get(type(results), type(results).__name__)
        row["error"] = (
            f"{RESULTS_NAME} is unreadable: it contains {kind}, not an object"
        )
        results = _started_job(run_dir)

    config = results.get("config") or {}
    generator = config.get("generator") or {}
    choices = results.get("choices") or {}
    verdicts = results.get("verdicts") or {}
    row.setdefault("status", results.get("status", "unknown"))
    row.update(
        name=results.get("name", ""),
        constraint=choices.get("constraint", ""),
        model=choices.get("model", ""),
        seed=config.get("seed"),
        rows=generator.get("rows"),
        noise=generator.get("noise"),
        score=verdict_score(verdicts),
    )
    if results.get("error"):
        row["error"] = results["error"]
    if path.name == FAILED_RESULTS_NAME:
        row["error"] += (
            f" (the completed results of an earlier attempt are in {RESULTS_NAME})"
        )
    if results.get("overrides") is not None:
        row["overrides"] = " ".join(map(str, results["overrides"]))
    row.update(results.get("metrics") or {})
    row.update({f"verdict/{key}": value for key, value in verdicts.items()})
    return row


def _started_at(run_dir: Path) -> float:
    """Return when the run's latest attempt started, by the files Hydra wrote then.

    Hydra writes .hydra/overrides.yaml into a job's folder as the job starts.
    """
    for marker in (run_dir / ".hydra" / "overrides.yaml", run_dir):
        try:
            return marker.stat().st_mtime
        except OSError:
            continue
    return 0.0


def _latest_attempt(run_dir: Path) -> Path:
    """Return the results file of the run's latest attempt.

    A failed attempt in a directory that contains completed results writes
    results.failed.json and keeps results.json, so the newer of the two shows
    how the run ended last.
    """
    path = run_dir / RESULTS_NAME
    failed = run_dir / FAILED_RESULTS_NAME
    if not failed.is_file():
        return path
    if not path.is_file() or failed.stat().st_mtime >= path.stat().st_mtime:
        return failed
    return path


def _started_job(run_dir: Path) -> dict[str, Any]:
    """Return the config and choices Hydra saved when a job without results started."""
    hydra = (_read_hydra_file(run_dir, "hydra.yaml") or {}).get("hydra") or {}
    choices = (hydra.get("runtime") or {}).get("choices") or {}
    return {
        "config": _read_hydra_file(run_dir, "config.yaml") or {},
        "choices": {key: value for key, value in choices.items() if "/" not in key},
    }


def verdict_score(verdicts: dict[str, str]) -> float:
    """Average the verdicts of one run: learned 1, partial 0.5, not_learned 0."""
    scores = [VERDICT_SCORES[v] for v in verdicts.values() if v in VERDICT_SCORES]
    return sum(scores) / len(scores) if scores else math.nan


def _read_hydra_file(run_dir: Path, name: str) -> Any:
    # Hydra writes these files into .hydra/ when a job starts.
    try:
        return yaml.safe_load((run_dir / ".hydra" / name).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None


def _natural_key(path: Path) -> tuple:
    # Hydra numbers jobs 0, 1, ... 10; sort them as numbers, not as text.
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in path.parts
    )


def markdown_table(frame: pd.DataFrame) -> str:
    """Format ``frame`` as a GitHub Markdown table, blank where a value is missing."""
    shown = frame.astype(object).where(frame.notna(), "")
    shown = shown.apply(lambda column: column.map(_cell))
    return shown.to_markdown(index=False)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    # A pipe would end the cell early, and a newline the row.
    return str(value).replace("|", "\\|").replace("\n", " ")


def summary_columns(runs: pd.DataFrame) -> list[str]:
    """Return the columns of the Markdown summary: identity, metrics, verdicts."""
    columns = ["run", "overrides", "status", "score"]
    columns += [metric for metric in SHOWN_METRICS if metric in runs]
    columns += [column for column in runs if column.startswith("verdict/")]
    return columns + ["error"]


def summary_markdown(summary: SweepSummary, sections: list[str]) -> str:
    """Return the summary.md text: counts, the run table and extra sections."""
    runs = summary.runs
    lines = [
        # Hydra's default sweep folder is multirun/DATE/TIME, so the last two
        # parts name the sweep, as they name its W&B group.
        f"# Sweep summary: {'/'.join(summary.sweep_dir.resolve().parts[-2:])}",
        "",
        summary.describe() + ".",
        "",
        "score is the mean verdict of a run (learned 1, partial 0.5, not_learned 0).",
        "",
        markdown_table(runs[summary_columns(runs)]),
        "",
    ]
    for section in sections:
        lines += [section, ""]
    return "\n".join(lines)
