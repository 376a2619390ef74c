"""Run one experiment: generate, encode, train, verify, track and write results."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline

from fakegen.checks import (
    CONSTRAINT_KEYS,
    GENERATOR_KEYS,
    TOP_LEVEL_KEYS,
    check_generator_keys,
    check_keys,
    check_seed,
)
from fakegen.datafile import check_file_config, load_file_data
from fakegen.encoder import (
    EncoderOptions,
    check_encoder_options,
    literal_cardinalities,
    literal_output_mask,
    log_missing_test_values,
    log_unseen_literals,
    make_encoder,
)
from fakegen.errors import ConfigError
from fakegen.fingerprint import fingerprint
from fakegen.generator import SyntheticGenerator, make_generator
from fakegen.memory import check_table_fits
from fakegen.model import (
    check_pairing,
    check_synthetic_classes,
    describe_model,
    fit_model,
    make_model,
)
from fakegen.objective import (
    check_objective,
    check_recorded_objective,
    objective_value,
)
from fakegen.results import (
    FAILED_RESULTS_NAME,
    RESULTS_NAME,
    read_results,
    write_json_atomic,
)
from fakegen.threads import blas_threads_in_use, check_blas_threads, limit_blas_threads
from fakegen.tracking import NullTracker, make_tracker
from fakegen.verifier import (
    VerifierOptions,
    check_suite_names,
    check_verifier_options,
    stream_rng,
    verify_files,
    verify_synthetic,
)
from fakegen.verifier.files import make_file_constraints
from fakegen.verifier.names import (
    TRAIN_ACCURACY,
    file_metric_names,
    synthetic_metric_names,
    unseen_literals_name,
)

log = logging.getLogger(__name__)


class Timer:
    """Seconds spent per pipeline stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 4)


def run_experiment(
    cfg: DictConfig,
    run_dir: Path,
    *,
    name: str = "run",
    choices: Mapping[str, str] | None = None,
    overrides: Sequence[str] = (),
    objective: str | None = None,
) -> dict[str, Any]:
    """Run the experiment ``cfg`` describes and write ``run_dir/results.json``.

    The results file is written whether the run completes or fails; on failure
    it contains ``status: failed`` and the error, and the exception propagates.
    Config errors are raised before the tracker starts, so a mistyped override
    leaves no W&B run behind. A run that does not record its ``objective``
    metric fails, since a sweeper cannot use it.
    """
    timer = Timer()
    config = OmegaConf.to_container(cfg, resolve=True)
    results: dict[str, Any] = {
        "status": "running",
        "name": name,
        "choices": dict(choices or {}),
        # Hydra rewrites .hydra/overrides.yaml at every attempt, so the
        # overrides that produced these results are kept with them.
        "overrides": list(overrides),
        "config": config,
        "timings": timer.seconds,
    }
    tracker = NullTracker()
    failed = True
    try:
        with timer.stage("setup"):
            plan = make_plan(config, cfg, choices=results["choices"])
            tracker = make_tracker(config.get("tracker") or {})
        with timer.stage("track"):
            tracker.start(config=config, name=name, run_dir=run_dir)
        with limit_blas_threads(plan.blas_threads):
            results["blas_threads"] = blas_threads_in_use()
            execute(plan, results, timer, Path(run_dir))
        objective_value(
            results["metrics"], objective, results_path=Path(run_dir) / RESULTS_NAME
        )
        results["status"] = "completed"
        remove_stale_figures(Path(run_dir), results.get("figures", {}))
        failed = False
    except BaseException as exc:
        # BaseException, so that Ctrl-C also leaves status failed on disk.
        results["status"] = "failed"
        # Ctrl-C raises a KeyboardInterrupt without text.
        text = str(exc)
        name = type(exc).__name__
        results["error"] = f"{name}: {text}" if text else name
        raise
    finally:
        results["timings"]["total"] = round(sum(timer.seconds.values()), 4)
        results_path = write_results(run_dir, results)
        with timer.stage("track_finish"):
            tracker.log(results.get("metrics", {}))
            figures = results.get("figures", {})
            tracker.log_figures(
                {name: run_dir / path for name, path in figures.items()}
            )
            tracker.log_table("suites", results.get("suites", []))
            tracker.summarize(_summary(results))
            tracker.finish(failed=failed)
        if tracker.run_dir is not None:
            results["wandb_dir"] = str(tracker.run_dir)
        # Same file again, now with the W&B folder; the choice of file is made.
        write_json_atomic(results_path, results)
    return results


@dataclass
class Plan:
    """Everything a run needs, checked before any data is generated."""

    config: dict[str, Any]
    seed: int
    kind: str
    estimator: Any
    options: VerifierOptions
    encoder: EncoderOptions
    generator: SyntheticGenerator | None = None
    rows: int = 0
    blas_threads: int | None = None


def make_plan(
    config: dict[str, Any],
    cfg: DictConfig,
    *,
    choices: Mapping[str, str] | None = None,
) -> Plan:
    """Check the composed config and build the generator and the estimator.

    The ``objective`` is checked here too, against the metric names the
    config lets the run record, so a misnamed one costs no generation.

    ``choices`` (group to option, as Hydra chose them) names the model in the
    message about an encoder and model pair that cannot train together.
    """
    check_keys(config, TOP_LEVEL_KEYS, key="")
    seed = check_seed(config.get("seed"))
    generator_cfg = config.get("generator") or {}
    kind = generator_cfg.get("kind", "synthetic")
    if kind not in GENERATOR_KEYS:
        raise ConfigError(f"generator.kind is {kind!r}; use synthetic or file.")
    check_generator_keys(generator_cfg, kind)
    check_keys(config.get("constraint") or {}, CONSTRAINT_KEYS, key="constraint")
    options = check_verifier_options(config.get("verifier") or {})
    encoder_options = check_encoder_options(config.get("encoder") or {})
    estimator = make_model(cfg.get("model") or {}, seed=seed)
    check_pairing(
        estimator,
        literal=encoder_options.literal,
        scaling=encoder_options.scaling,
        model_name=describe_model(
            config.get("model") or {}, (choices or {}).get("model")
        ),
    )
    plan = Plan(
        config=config,
        seed=seed,
        kind=kind,
        estimator=estimator,
        options=options,
        encoder=encoder_options,
        blas_threads=check_blas_threads(config.get("blas_threads")),
    )
    if kind == "file":
        check_file_config(generator_cfg, config.get("constraint") or {})
        check_suite_names(options.constraints, key="verifier.constraints")
    if kind == "synthetic":
        if options.constraints:
            names = ", ".join(map(str, options.constraints))
            raise ConfigError(
                f"verifier.constraints is set ({names}), but it applies to "
                "generator=file runs; declare the constraints of a synthetic "
                "table under constraint.constraints."
            )
        plan.rows = _check_rows(generator_cfg.get("rows"))
        plan.generator = make_generator(generator_cfg, config.get("constraint") or {})
        # The columns and the label.
        check_table_fits(plan.rows, len(plan.generator.columns) + 1)
        check_suite_names(
            [c.name for c in plan.generator.constraints], key="constraint.constraints"
        )
    objective = check_objective(config.get("objective"))
    if objective is not None:
        check_recorded_objective(objective, recordable_metrics(plan))
    return plan


def recordable_metrics(plan: Plan) -> list[str]:
    """Return every metric name the run that ``plan`` describes may record."""
    if plan.generator is None:
        tests = plan.config["generator"].get("tests") or {}
        return file_metric_names(map(str, tests), plan.options)
    return synthetic_metric_names(plan.generator, plan.options)


def execute(plan: Plan, results: dict[str, Any], timer: Timer, run_dir: Path) -> None:
    """Generate or load the data, encode, train and verify; fill ``results``."""
    config, generator = plan.config, plan.generator
    with timer.stage("generate"):
        if generator is None:
            data = load_file_data(config["generator"])
            train = data.train
            # Check verifier.constraints now, so a bad one stops the run before fitting.
            make_file_constraints(plan.options.constraints, train.X)
        else:
            train = generator.sample(plan.rows, stream_rng(plan.seed, "train"))
            check_synthetic_classes(train.y, rows=plan.rows, balance=generator.balance)
    results["dataset"] = {
        "rows": len(train.y),
        "columns": list(map(str, train.X.columns)),
        "positive_share": float(train.y.mean()),
        "fingerprint": fingerprint(train.X, train.y),
    }
    log.info("Generated rows=%d kind=%s", len(train.y), plan.kind)

    with timer.stage("encode"):
        encoder = make_encoder(plan.encoder, train.X, seed=plan.seed)
        features = encoder.fit_transform(train.X, train.y)
    native = plan.encoder.literal == "native"
    with timer.stage("train"):
        fit_model(
            plan.estimator,
            features,
            train.y,
            categorical=literal_output_mask(encoder) if native else None,
            cardinalities=literal_cardinalities(encoder) if native else None,
        )
    model = Pipeline([("encode", encoder), ("model", plan.estimator)])
    train_accuracy = float(accuracy_score(train.y, model.predict(train.X)))
    log.info(
        "Trained model=%s train_accuracy=%.4f",
        type(plan.estimator).__name__,
        train_accuracy,
    )

    if generator is None:
        for test_name, test in data.tests.items():
            log_missing_test_values(
                encoder,
                test.X,
                key=f"generator.tests.{test_name}",
                path=data.test_paths[test_name],
            )

    with timer.stage("verify"):
        if generator is None:
            verification = verify_files(
                model,
                data.tests,
                plan.options,
                train=train,
                seed=plan.seed,
                run_dir=run_dir,
            )
        else:
            verification = verify_synthetic(
                model, generator, plan.options, seed=plan.seed, run_dir=run_dir
            )
    results["metrics"] = {TRAIN_ACCURACY: train_accuracy, **verification.metrics}
    if generator is None:
        for test_name, test in data.tests.items():
            results["metrics"][unseen_literals_name(test_name)] = log_unseen_literals(
                encoder, test.X, name=test_name, literal=plan.encoder.literal
            )
    results["verdicts"] = verification.verdicts
    results["verdict_reasons"] = verification.verdict_reasons
    results["suites"] = verification.suites
    results["boundaries"] = verification.boundaries
    if verification.file_constraints:
        results["file_constraints"] = verification.file_constraints
    results["figures"] = {
        name: str(Path(path).relative_to(run_dir))
        for name, path in verification.figures.items()
    }
    results["verification_timings"] = verification.timings
    if generator is not None:
        results["constraints"] = {c.name: c.to_dict() for c in generator.constraints}
    log.info(
        "Verified suites=%d verdicts=%s",
        len(verification.suites),
        ",".join(f"{k}:{v}" for k, v in verification.verdicts.items()) or "none",
    )


def remove_stale_figures(run_dir: Path, figures: Mapping[str, str]) -> None:
    """Remove region figures that an earlier run left in ``run_dir``.

    A completed run replaces results.json, so a region figure it does not
    list would be left unexplained. A failed run keeps the earlier
    completed results.json, so it keeps that run's figures too.
    """
    listed = {Path(path).name for path in figures.values()}
    for path in run_dir.glob("regions_*.png"):
        if path.name not in listed:
            path.unlink(missing_ok=True)


def write_results(run_dir: Path, results: dict[str, Any]) -> Path:
    """Write results.json, never replacing a completed run's file with a failure.

    Re-running a finished run directory with a broken override would otherwise
    overwrite good results, so the failure goes to results.failed.json
    instead. Returns the path written.
    """
    path = Path(run_dir) / RESULTS_NAME
    if results["status"] == "completed":
        # A failure of an earlier attempt no longer describes this run.
        path.with_name(FAILED_RESULTS_NAME).unlink(missing_ok=True)
    if results["status"] != "completed" and path.is_file():
        try:
            previous = read_results(path).get("status")
        except (OSError, ValueError):
            previous = None
        if previous == "completed":
            path = path.with_name(FAILED_RESULTS_NAME)
            log.warning(
                "Kept the completed %s; wrote this failure to %s", RESULTS_NAME, path
            )
    write_json_atomic(path, results)
    return path


def _check_rows(rows: Any) -> int:
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 20:
        raise ConfigError(f"generator.rows is {rows!r}; give an integer of 20 or more.")
    return rows


def _summary(results: Mapping[str, Any]) -> dict[str, Any]:
    summary = {"status": results["status"], **results.get("metrics", {})}
    for name, verdict in results.get("verdicts", {}).items():
        summary[f"verdict/{name}"] = verdict
    if "dataset" in results:
        summary["dataset/fingerprint"] = results["dataset"]["fingerprint"]
    return summary
