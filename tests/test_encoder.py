"""Encoder options, literal encodings, feature expansion and unseen literals."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from conftest import load_results
from fakegen.encoder import (
    LITERAL_ENCODINGS,
    EncoderOptions,
    check_encoder_options,
    count_unseen_literals,
    literal_cardinalities,
    literal_output_mask,
    make_encoder,
)
from fakegen.errors import ConfigError
from fakegen.features import FrequencyEncoder, signed_log1p
from fakegen.paths import config_dir

CITIES = ["Berlin", "Lisbon", "Madrid"]


def make_train() -> tuple[pd.DataFrame, np.ndarray]:
    """Numbers, a boolean, a Categorical literal and a str literal with gaps."""
    rng = np.random.default_rng(0)
    n_samples = 300
    city = pd.Categorical(rng.choice(CITIES, n_samples), categories=CITIES)
    job = pd.Series(rng.choice(["clerk", "nurse"], n_samples), dtype=object)
    job[::10] = None
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n_samples),
            "income": rng.lognormal(10, 0.5, n_samples),
            "member": rng.random(n_samples) < 0.5,
            "city": city,
            "job": job,
        }
    )
    y = (np.asarray(city) == "Berlin").astype(int)
    return X, y


def make_test() -> pd.DataFrame:
    """Rows with literals absent from training: two cities, one job, one gap."""
    return pd.DataFrame(
        {
            "age": [30, 50, 70, 40],
            "income": [20000.0, 30000.0, 40000.0, 50000.0],
            "member": [True, False, True, False],
            "city": pd.Categorical(["Berlin", "Oslo", "Rome", "Madrid"]),
            "job": pd.Series(["clerk", "pilot", None, "nurse"], dtype=object),
        }
    )


def fit_encoder(**options):
    X, y = make_train()
    encoder = make_encoder(EncoderOptions(**options), X)
    features = encoder.fit_transform(X, y)
    return encoder, features, X, y


def test_encoder_option_files_match_encodings():
    names = {path.stem for path in (config_dir() / "encoder").glob("*.yaml")}

    assert names == set(LITERAL_ENCODINGS)


@pytest.mark.parametrize("name", LITERAL_ENCODINGS)
def test_check_encoder_options_accepts_preset(name):
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"encoder={name}"]).encoder

    options = check_encoder_options(cfg)

    assert options.literal == name
    assert options.interactions is False
    assert options.logarithms is False


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        (
            {"scalling": "none"},
            "encoder.scalling is not a known key. Did you mean encoder.scaling? "
            "Known keys: literal, scaling, impute_numeric, impute_literal, "
            "interactions, logarithms, smooth, cv.",
        ),
        (
            {"literal": "hash"},
            "encoder.literal is 'hash'; use one of onehot, ordinal, target, "
            "frequency, native.",
        ),
        (
            {"scaling": "robust"},
            "encoder.scaling is 'robust'; use one of standard, minmax, none.",
        ),
        (
            {"impute_numeric": "zero"},
            "encoder.impute_numeric is 'zero'; use one of median, mean.",
        ),
        (
            {"interactions": "yes"},
            "encoder.interactions is 'yes'; set it to true or false.",
        ),
        (
            {"literal": "onehot", "smooth": 2.0},
            "encoder.smooth is set, but only encoder=target reads it and "
            "encoder.literal is 'onehot'. Remove it with ~encoder.smooth, or use "
            "encoder=target.",
        ),
        (
            {"literal": "target", "smooth": -1},
            "encoder.smooth is -1; give auto or a number of 0 or more.",
        ),
        (
            {"literal": "target", "cv": 1},
            "encoder.cv is 1; give an integer of 2 or more.",
        ),
    ],
    ids=[
        "unknown-key",
        "unknown-literal",
        "unknown-scaling",
        "unknown-imputation",
        "non-boolean-expansion",
        "target-key-for-onehot",
        "negative-smooth",
        "too-few-folds",
    ],
)
def test_check_encoder_options_bad_value_raises(cfg, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_encoder_options(cfg)


@pytest.mark.parametrize("literal", LITERAL_ENCODINGS)
def test_make_encoder_unseen_literals_never_crash(literal):
    encoder, _, _, _ = fit_encoder(literal=literal)

    features = encoder.transform(make_test())

    assert features.shape[0] == 4
    assert np.isfinite(features[:, ~literal_output_mask(encoder)]).all()
    assert count_unseen_literals(encoder, make_test()) == {"city": 2, "job": 1}


def _literal_block(encoder, features, column: str) -> np.ndarray:
    names = list(encoder.get_feature_names_out())
    return features[:, [i for i, name in enumerate(names) if name.startswith(column)]]


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("onehot", [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
        ("ordinal", [[0.0], [-1.0]]),
        ("frequency", [["share"], [0.0]]),
        ("native", [[0.0], [np.nan]]),
    ],
    ids=["onehot", "ordinal", "frequency", "native"],
)
def test_make_encoder_unseen_city_value(literal, expected):
    encoder, _, X, _ = fit_encoder(literal=literal)
    share = float((np.asarray(X["city"]) == "Berlin").mean())
    expected = [[share if v == "share" else v for v in row] for row in expected]

    block = _literal_block(encoder, encoder.transform(make_test()), "city")

    np.testing.assert_allclose(block[:2], np.array(expected, dtype=float))


def test_make_encoder_target_gives_unseen_the_mean_label():
    encoder, _, _, y = fit_encoder(literal="target")

    block = _literal_block(encoder, encoder.transform(make_test()), "city")

    assert block[1, 0] == pytest.approx(y.mean())
    # Berlin rows are exactly the positives, so its encoding sits near 1.
    assert block[0, 0] > 0.9


def test_make_encoder_target_folds_follow_seed():
    X, y = make_train()

    first, second, other = (
        make_encoder(EncoderOptions(literal="target"), X, seed=seed).fit_transform(X, y)
        for seed in (4, 4, 5)
    )

    np.testing.assert_array_equal(first, second)
    # The seed picks the cross-fitting folds, so another seed encodes differently.
    assert not np.array_equal(first, other)


def test_make_encoder_minmax_scales_training_to_unit_range():
    encoder, features, _, _ = fit_encoder(scaling="minmax")

    numeric = features[:, :3]

    np.testing.assert_allclose(numeric.min(axis=0), 0.0)
    np.testing.assert_allclose(numeric.max(axis=0), 1.0)


def test_make_encoder_checks_config_mapping():
    X, _ = make_train()

    encoder = make_encoder({"literal": "ordinal"}, X)

    assert isinstance(encoder.transformers[1][1][-1], OrdinalEncoder)
    with pytest.raises(ConfigError, match=re.escape("encoder.scaling is 'robust'")):
        make_encoder({"scaling": "robust"}, X)


def test_make_encoder_no_scaling_keeps_values():
    encoder, features, X, _ = fit_encoder(scaling="none")

    np.testing.assert_allclose(features[:, 0], X["age"].to_numpy())


def test_make_encoder_interactions_add_scaled_products():
    encoder, features, _, _ = fit_encoder(interactions=True)
    names = list(encoder.get_feature_names_out())

    assert names[:6] == [
        "age",
        "income",
        "member",
        "age income",
        "age member",
        "income member",
    ]
    np.testing.assert_allclose(features[:, 3], features[:, 0] * features[:, 1])


def test_make_encoder_logarithms_come_before_scaling():
    encoder, features, X, _ = fit_encoder(logarithms=True, scaling="none")
    names = list(encoder.get_feature_names_out())

    assert names[:6] == [
        "age",
        "income",
        "member",
        "log(age)",
        "log(income)",
        "log(member)",
    ]
    np.testing.assert_allclose(features[:, 4], np.log1p(X["income"].to_numpy()))


def test_signed_log1p_keeps_sign():
    np.testing.assert_allclose(
        signed_log1p(np.array([-np.e + 1, 0.0, np.e - 1])), [-1.0, 0.0, 1.0]
    )


def test_frequency_encoder_shares_and_names():
    X = pd.DataFrame({"colour": ["red", "red", "blue", "red"]})
    encoder = FrequencyEncoder().fit(X)

    encoded = encoder.transform(pd.DataFrame({"colour": ["blue", "red", "green"]}))

    np.testing.assert_allclose(encoded[:, 0], [0.25, 0.75, 0.0])
    assert list(encoder.get_feature_names_out()) == ["colour"]
    assert [list(c) for c in encoder.categories_] == [["blue", "red"]]


def test_frequency_encoder_wrong_width_raises():
    encoder = FrequencyEncoder().fit(np.array([["a"], ["b"]], dtype=object))

    with pytest.raises(ValueError, match=re.escape("X has 2 columns")):
        encoder.transform(np.array([["a", "b"]], dtype=object))


def test_count_unseen_literals_accepts_fitted_pipeline():
    X, y = make_train()
    model = Pipeline(
        [("encode", make_encoder(EncoderOptions(), X)), ("model", LogisticRegression())]
    ).fit(X, y)

    counts = count_unseen_literals(model, make_test())

    assert counts == {"city": 2, "job": 1}


def test_count_unseen_literals_without_literal_columns_is_empty():
    X, y = make_train()
    numeric = X[["age", "income"]]
    encoder = make_encoder(EncoderOptions(), numeric).fit(numeric, y)

    assert count_unseen_literals(encoder, numeric) == {}


def test_literal_cardinalities_count_imputed_values():
    encoder, _, _, _ = fit_encoder(literal="native")

    # Missing jobs are imputed with the most frequent job, which adds no value.
    assert literal_cardinalities(encoder) == {"city": 3, "job": 2}
    assert literal_output_mask(encoder).tolist() == [False, False, False, True, True]


@pytest.fixture
def literal_files(tmp_path):
    """A training CSV and a test CSV with some literals absent from training."""
    X, y = make_train()
    train = X.assign(city=X["city"].astype(str), label=y)
    train.to_csv(tmp_path / "train.csv", index=False)
    test = make_test().assign(label=[1, 0, 0, 0])
    test.to_csv(tmp_path / "test.csv", index=False)
    return tmp_path


@pytest.mark.slow
def test_fakegen_file_data_counts_unseen_literals(fakegen, literal_files):
    completed = fakegen(
        "-m",
        "tracker=none",
        "generator=file",
        f"generator.train={literal_files / 'train.csv'}",
        f"+generator.tests.heldout={literal_files / 'test.csv'}",
        "generator.label=label",
        "model=xgboost",
        "model.n_estimators=20",
        f"encoder={','.join(LITERAL_ENCODINGS)}",
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    runs = sorted((literal_files / "sweep").glob("*/results.json"))
    assert len(runs) == len(LITERAL_ENCODINGS)
    for path in runs:
        results = load_results(path.parent)
        assert results["status"] == "completed"
        assert results["metrics"]["encoder/unseen_literals/heldout"] == 3
    output = completed.stdout + completed.stderr
    assert output.count("Test set heldout has 3 literal values unseen") == 5
    assert "(city=2, job=1); encoder=native gives them a missing value" in output
