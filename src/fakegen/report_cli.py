"""Write a sweep's report files; the ``fakegen-report SWEEP_DIR`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pandas as pd

from fakegen.curves import (
    LEARNING_CURVES_PNG,
    NOISE_PNG,
    learning_section,
    noise_section,
    plot_learning_curves,
    plot_noise,
    varies,
)
from fakegen.errors import FakegenError
from fakegen.heatmap import HEATMAP_PNG, plot_heatmap
from fakegen.planned import MULTIRUN_YAML
from fakegen.report import (
    NOT_STARTED,
    SUMMARY_CSV,
    SUMMARY_MD,
    SweepSummary,
    collect_runs,
    summary_markdown,
)
from fakegen.results import RESULTS_NAME

log = logging.getLogger(__name__)

# Exit status of fakegen-report when the sweep directory cannot be read.
EXIT_BAD_SWEEP_DIR = 2


def write_report(sweep_dir: Path | str, *, since: float | None = None) -> SweepSummary:
    """Write summary.csv, summary.md and heatmap.png into ``sweep_dir``.

    When ``sweep_dir`` is the folder of a single run, nothing is written, so
    the run's own files stay as the run left them.

    A sweep over ``generator.rows`` also gets learning_curves.png and the rows
    each model needed to reach ``learned``; a sweep over ``generator.noise``
    gets noise.png and accuracy against the noise ceiling. Either figure left
    by an earlier sweep that this one does not draw is removed.

    Raises
    ------
    fakegen.report.SweepDirError
        If ``sweep_dir`` is missing or contains no run.
    """
    sweep_dir = Path(sweep_dir)
    summary = SweepSummary(
        sweep_dir=sweep_dir, runs=collect_runs(sweep_dir, since=since)
    )
    runs = summary.runs
    if summary.is_single_run:
        return summary

    csv_path = sweep_dir / SUMMARY_CSV
    runs.to_csv(csv_path, index=False)
    summary.files.append(csv_path)
    summary.files.append(plot_heatmap(runs, sweep_dir / HEATMAP_PNG))

    sections = []
    if varies(runs, "rows"):
        summary.files.append(
            plot_learning_curves(runs, sweep_dir / LEARNING_CURVES_PNG)
        )
        sections.append(learning_section(runs))
    else:
        # A figure of an earlier sweep into this folder would sit beside a
        # summary that does not mention it.
        (sweep_dir / LEARNING_CURVES_PNG).unlink(missing_ok=True)
    if varies(runs, "noise"):
        summary.files.append(plot_noise(runs, sweep_dir / NOISE_PNG))
        sections.append(noise_section(runs))
    else:
        (sweep_dir / NOISE_PNG).unlink(missing_ok=True)

    markdown_path = sweep_dir / SUMMARY_MD
    markdown_path.write_text(summary_markdown(summary, sections), encoding="utf-8")
    summary.files.append(markdown_path)
    return summary


def failure_message(summary: SweepSummary) -> str:
    """Return the line that reports how many runs did not complete and where."""
    failed = summary.failed
    never = failed["status"] == NOT_STARTED
    message = (
        f"{len(failed)} of {len(summary.runs)} runs of the sweep did not complete; "
        f"see {summary.sweep_dir / SUMMARY_MD}"
    )
    if (~never).any():
        where = ", ".join(str(summary.sweep_dir / run) for run in failed["run"][~never])
        message += f" and the run directories {where}"
    if never.any():
        jobs = ", ".join(failed["run"][never])
        noun = "Job" if never.sum() == 1 else "Jobs"
        message += (
            f". {noun} {jobs} never started; run the same sweep again with "
            "resume=true to run every job that did not complete"
        )
    return message


def single_run_message(summary: SweepSummary) -> str:
    """Return the line that reports a single run given in place of a sweep."""
    run_dir = summary.sweep_dir
    (run,) = summary.runs.to_dict("records")
    message = (
        f"{run_dir} is the folder of a single run, not of a sweep, so "
        "fakegen-report writes no summary files into it. "
    )
    if run["status"] == "completed":
        score = run["score"]
        score = f" with verdict score {score:.3f}" if pd.notna(score) else ""
        message += f"The run completed{score}; see {run_dir / RESULTS_NAME}."
    else:
        error = str(run["error"]).rstrip(".")
        message += f"The run did not complete (status {run['status']}: {error})."
    # By default Hydra numbers a sweep's job folders, and its basic sweeper
    # saves multirun.yaml beside them.
    parent = run_dir.resolve().parent
    if run_dir.resolve().name.isdigit() or (parent / MULTIRUN_YAML).is_file():
        message += f" To report the sweep that contains it, give {parent}."
    return message


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``fakegen-report`` console script.

    Exits 0 when every run completed, 1 when some did not, and 2 when the
    sweep directory is missing, contains no run or cannot be written.
    """
    parser = argparse.ArgumentParser(
        prog="fakegen-report",
        description="Rebuild a sweep's summary table and figures from the "
        "results.json files of its runs.",
    )
    parser.add_argument(
        "sweep_dir", type=Path, metavar="SWEEP_DIR", help="folder of a fakegen multirun"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    try:
        summary = write_report(args.sweep_dir)
    except FakegenError as exc:
        log.error("%s", exc)
        sys.exit(EXIT_BAD_SWEEP_DIR)
    except OSError as exc:
        log.error(
            "Could not write the report into %s: %s; make the folder and its "
            "summary files writable, then run fakegen-report again",
            args.sweep_dir,
            exc,
        )
        sys.exit(EXIT_BAD_SWEEP_DIR)
    if summary.is_single_run:
        completed = summary.failed.empty
        log.log(
            logging.INFO if completed else logging.ERROR,
            "%s",
            single_run_message(summary),
        )
        sys.exit(0 if completed else 1)
    log.info("%s", summary.describe())
    log.info("Wrote %s", ", ".join(str(path) for path in summary.files))
    if len(summary.failed):
        log.error("%s", failure_message(summary))
        sys.exit(1)
