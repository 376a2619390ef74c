"""Run one experiment: generate, encode, train, verify, track and write results."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline

from fakegen.datafile import load_file_data
from fakegen.encoder import (
    check_encoder_options,
    literal_cardinalities,
    literal_output_mask,
    log_unseen_literals,
    make_encoder,
)
from fakegen.errors import ConfigError
from fakegen.fingerprint import fingerprint
from fakegen.generator import make_generator
from fakegen.model import check_pairing, describe_model, fit_model, make_model
from fakegen.results import RESULTS_NAME, write_json_atomic
from fakegen.tracking import make_tracker
from fakegen.verifier import (
    check_verifier_options,
    stream_rng,
    verify_files,
    verify_synthetic,
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
    cfg: DictConfig, run_dir: Path, *, name: str = "run", choices: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Run the experiment ``cfg`` describes and write ``run_dir/results.json``.

    The results file is written whether the run completes or fails; on failure
    it holds ``status: failed`` and the error, and the exception propagates.
    """
    timer = Timer()
    config = OmegaConf.to_container(cfg, resolve=True)
    results: dict[str, Any] = {
        "status": "running",
        "name": name,
        "choices": dict(choices or {}),
        "config": config,
        "timings": timer.seconds,
    }
    tracker = make_tracker(config.get("tracker") or {})
    failed = True
    try:
        with timer.stage("track"):
            tracker.start(config=config, name=name, run_dir=run_dir)
        _run_stages(config, cfg, results, timer, choices=results["choices"])
        results["status"] = "completed"
        failed = False
    except Exception as exc:
        results["status"] = "failed"
        results["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        results["timings"] = timer.seconds
        results["timings"]["total"] = round(sum(timer.seconds.values()), 4)
        write_json_atomic(run_dir / RESULTS_NAME, results)
        tracker.log(results.get("metrics", {}))
        tracker.summarize(_summary(results))
        tracker.finish(failed=failed)
        if tracker.run_dir is not None:
            results["wandb_dir"] = str(tracker.run_dir)
            write_json_atomic(run_dir / RESULTS_NAME, results)
    return results


def _run_stages(
    config: dict, cfg: DictConfig, results: dict, timer: Timer, *, choices: Mapping
) -> None:
    seed = config.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed is {seed!r}; give a non-negative integer.")
    generator_cfg = config.get("generator") or {}
    kind = generator_cfg.get("kind", "synthetic")
    if kind not in ("synthetic", "file"):
        raise ConfigError(f"generator.kind is {kind!r}; use synthetic or file.")
    options = check_verifier_options(config.get("verifier") or {})
    # Encoder and model are checked before generation, which can take minutes.
    encoder_options = check_encoder_options(config.get("encoder") or {})
    estimator = make_model(cfg.get("model") or {}, seed=seed)
    check_pairing(
        estimator,
        literal=encoder_options.literal,
        scaling=encoder_options.scaling,
        model_name=describe_model(config.get("model") or {}, choices.get("model")),
    )

    with timer.stage("generate"):
        if kind == "file":
            data = load_file_data(generator_cfg)
            train, generator = data.train, None
        else:
            generator = make_generator(generator_cfg, config.get("constraint") or {})
            rows = _check_rows(generator_cfg.get("rows"))
            train = generator.sample(rows, stream_rng(seed, "train"))
    results["dataset"] = {
        "rows": len(train.y),
        "columns": list(map(str, train.X.columns)),
        "positive_share": float(train.y.mean()),
        "fingerprint": fingerprint(train.X, train.y),
    }
    log.info("Generated rows=%d kind=%s", len(train.y), kind)

    with timer.stage("encode"):
        encoder = make_encoder(encoder_options, train.X)
        features = encoder.fit_transform(train.X, train.y)
    native = encoder_options.literal == "native"
    with timer.stage("train"):
        fit_model(
            estimator,
            features,
            train.y,
            categorical=literal_output_mask(encoder) if native else None,
            cardinalities=literal_cardinalities(encoder) if native else None,
        )
    model = Pipeline([("encode", encoder), ("model", estimator)])
    train_accuracy = float(accuracy_score(train.y, model.predict(train.X)))
    log.info("Trained model=%s train_accuracy=%.4f", type(estimator).__name__, train_accuracy)

    with timer.stage("verify"):
        if generator is None:
            verification = verify_files(model, data.tests)
        else:
            verification = verify_synthetic(model, generator, options, seed=seed)
    results["metrics"] = {"train/accuracy": train_accuracy, **verification.metrics}
    if generator is None:
        for test_name, test in data.tests.items():
            results["metrics"][f"encoder/unseen_literals/{test_name}"] = (
                log_unseen_literals(
                    encoder, test.X, name=test_name, literal=encoder_options.literal
                )
            )
    results["verdicts"] = verification.verdicts
    results["suites"] = verification.suites
    if generator is not None:
        results["constraints"] = {c.name: c.to_dict() for c in generator.constraints}
    log.info(
        "Verified suites=%d verdicts=%s",
        len(verification.suites),
        ",".join(f"{k}:{v}" for k, v in verification.verdicts.items()) or "none",
    )


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
