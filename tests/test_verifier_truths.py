"""Known truths about model families that the verifier must report correctly."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf
from sklearn.pipeline import Pipeline

from fakegen.encoder import make_encoder
from fakegen.generator import make_generator
from fakegen.model import make_model
from fakegen.paths import config_dir
from fakegen.verifier import check_verifier_options, stream_rng, verify_synthetic

THRESHOLD = {"type": "threshold", "column": "income", "op": ">=", "value": 30000}
INEQUALITY = {
    "type": "inequality",
    "left": "contract_end",
    "op": ">",
    "right": "contract_start",
}
# Until named presets exist, linear and xor rules are written as expressions.
LINEAR = {"type": "expression", "expression": "income / 1000 + age >= 80"}
XOR = {"type": "expression", "expression": "(age >= 40) != (income >= 40000)"}
SIZES = {"test_rows": 2000, "suite_rows": 1000, "search_rows": 60}


def load(group: str, name: str) -> dict:
    return OmegaConf.to_container(OmegaConf.load(config_dir() / group / f"{name}.yaml"))


def fit_and_verify(constraint, model, *, rows=4000, noise=0.0, seed=0, **model_cfg):
    generator_cfg = {**load("generator", "applicant"), "noise": noise}
    generator = make_generator(generator_cfg, {"constraints": {"rule": constraint}})
    train = generator.sample(rows, stream_rng(seed, "train"))
    encoder = make_encoder({}, train.X)
    estimator = make_model({**load("model", model), **model_cfg}, seed=seed)
    fitted = Pipeline([("encode", encoder), ("model", estimator)]).fit(train.X, train.y)
    options = check_verifier_options({**load("verifier", "default"), **SIZES})
    return verify_synthetic(fitted, generator, options, seed=seed)


@pytest.mark.parametrize(
    ("constraint", "model", "verdict"),
    [
        (THRESHOLD, "logreg", "learned"),
        (LINEAR, "logreg", "learned"),
        (INEQUALITY, "logreg", "learned"),
        (XOR, "logreg", "not_learned"),
        (XOR, "tree", "learned"),
        (XOR, "xgboost", "learned"),
    ],
    ids=[
        "logreg-threshold",
        "logreg-linear",
        "logreg-inequality",
        "logreg-xor",
        "tree-xor",
        "xgboost-xor",
    ],
)
def test_verdict_matches_known_capability(constraint, model, verdict):
    result = fit_and_verify(constraint, model)

    assert result.verdicts == {"rule": verdict}, result.verdict_reasons["rule"]
    assert result.verdict_reasons["rule"].startswith(f"{verdict}: ")


def test_label_noise_sets_ceiling_and_keeps_rule_agreement():
    result = fit_and_verify(THRESHOLD, "forest", noise=0.2, n_estimators=100)

    metrics = result.metrics
    assert metrics["bayes/accuracy"] == pytest.approx(0.8)
    assert metrics["test/accuracy"] == pytest.approx(0.8, abs=0.03)
    assert abs(metrics["bayes/gap"]) <= 0.03
    assert metrics["test/rule_agreement"] >= 0.97


def test_logreg_learned_threshold_is_near_true_value():
    result = fit_and_verify(THRESHOLD, "logreg", rows=5000)

    edge = result.boundaries["rule"]["edges"]["value"]
    assert edge["true"] == 30000
    assert edge["flipped_share"] >= 0.9
    assert edge["relative_error"] <= 0.05
    assert edge["monotonic_share"] >= 0.9
    assert result.boundaries["rule"]["learned_rule"].startswith("income >= ")
