"""Turn a feature table into numbers with a scikit-learn ColumnTransformer."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
    TargetEncoder,
)

from fakegen.checks import check_keys
from fakegen.errors import ConfigError
from fakegen.features import (
    FrequencyEncoder,
    make_interactions,
    make_literal_gaps_nan,
    make_logarithms,
)

log = logging.getLogger(__name__)

SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "none": None}
NUMERIC_IMPUTATION = ("median", "mean")
LITERAL_IMPUTATION = ("most_frequent", "constant")

#: Representation each literal encoding gives a value absent from training.
UNSEEN_HANDLING = {
    "onehot": "all-zero indicator columns",
    "ordinal": "code -1",
    "target": "the mean of the training labels",
    "frequency": "frequency 0",
    "native": "a missing value",
}
LITERAL_ENCODINGS = tuple(UNSEEN_HANDLING)
#: Keys that only one literal encoding reads.
ENCODING_KEYS = {"smooth": "target", "cv": "target"}


@dataclass(frozen=True)
class EncoderOptions:
    """The checked ``encoder`` config group; see conf/encoder/onehot.yaml."""

    literal: str = "onehot"
    scaling: str = "standard"
    impute_numeric: str = "median"
    impute_literal: str = "most_frequent"
    interactions: bool = False
    logarithms: bool = False
    smooth: float | str = "auto"
    cv: int = 5


def check_encoder_options(cfg: Mapping[str, Any]) -> EncoderOptions:
    """Check the ``encoder`` config group and return it as options.

    Parameters
    ----------
    cfg : mapping
        The ``encoder`` group, for example ``{"literal": "target", "cv": 5}``.

    Returns
    -------
    EncoderOptions
        The options, with defaults for keys the group leaves out.

    Raises
    ------
    ConfigError
        For an unknown key, a value outside its choices, or a key that the
        chosen literal encoding does not read.
    """
    check_keys(cfg, [f.name for f in fields(EncoderOptions)], key="encoder")
    options = EncoderOptions(**cfg)
    _check_choice(options.literal, "literal", LITERAL_ENCODINGS)
    _check_choice(options.scaling, "scaling", tuple(SCALERS))
    _check_choice(options.impute_numeric, "impute_numeric", NUMERIC_IMPUTATION)
    _check_choice(options.impute_literal, "impute_literal", LITERAL_IMPUTATION)
    for key in ("interactions", "logarithms"):
        value = getattr(options, key)
        if not isinstance(value, bool):
            raise ConfigError(f"encoder.{key} is {value!r}; set it to true or false.")

    for key, encoding in ENCODING_KEYS.items():
        if key in cfg and options.literal != encoding:
            raise ConfigError(
                f"encoder.{key} is set, but only encoder={encoding} reads it and "
                f"encoder.literal is {options.literal!r}. Remove it with "
                f"~encoder.{key}, or use encoder={encoding}."
            )
    smooth = options.smooth
    if smooth != "auto" and (
        isinstance(smooth, bool) or not isinstance(smooth, (int, float)) or smooth < 0
    ):
        raise ConfigError(
            f"encoder.smooth is {smooth!r}; give auto or a number of 0 or more."
        )
    cv = options.cv
    if isinstance(cv, bool) or not isinstance(cv, int) or cv < 2:
        raise ConfigError(f"encoder.cv is {cv!r}; give an integer of 2 or more.")
    return options


def split_columns(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Return the numeric and the literal columns of ``X``.

    Booleans count as numeric.
    """
    numeric, literal = [], []
    for name in X.columns:
        dtype = X[name].dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            numeric.append(name)
        else:
            literal.append(name)
    return numeric, literal


def make_encoder(
    options: EncoderOptions | Mapping[str, Any],
    X: pd.DataFrame,
    *,
    seed: int | None = None,
) -> ColumnTransformer:
    """Build the unfitted ColumnTransformer that ``options`` describes for ``X``.

    Numeric columns are imputed, optionally extended with their logarithms,
    scaled, and optionally extended with their pairwise products; literal
    columns are imputed and encoded. Missing values in ``X`` are counted and
    logged, because imputation changes what the model receives.

    Parameters
    ----------
    options : EncoderOptions or mapping
        Options from :func:`check_encoder_options`, or the ``encoder`` config
        group, which is checked here.
    X : DataFrame
        Training features; only their column names and dtypes are used here.
    seed : int, default=None
        Seeds the shuffled folds of ``encoder=target``; None draws them anew on
        every fit.

    Returns
    -------
    ColumnTransformer
        Transformers named ``numeric`` and ``literal``, in that output order.
    """
    if not isinstance(options, EncoderOptions):
        options = check_encoder_options(options)
    numeric, literal = split_columns(X)
    _log_missing(X, numeric, options.impute_numeric, literal, options.impute_literal)

    numeric_steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy=options.impute_numeric))
    ]
    # Logarithms come before scaling, because scaled values centre on zero and
    # the logarithm of a scaled value no longer turns a ratio into a difference.
    if options.logarithms:
        numeric_steps.append(("logarithms", make_logarithms()))
    if SCALERS[options.scaling] is not None:
        numeric_steps.append(("scale", SCALERS[options.scaling]()))
    # NOTE: only numeric columns enter products. Literal indicator columns would
    # multiply the column count, so numeric-by-literal products are not built.
    if options.interactions:
        numeric_steps.append(("interactions", make_interactions()))

    literal_steps = [
        ("gaps", make_literal_gaps_nan()),
        (
            "impute",
            SimpleImputer(strategy=options.impute_literal, fill_value="missing"),
        ),
        ("encode", _make_literal_encoder(options, seed)),
    ]
    log.debug(
        "Encoder literal=%s scaling=%s numeric=%d literal_columns=%d",
        options.literal,
        options.scaling,
        len(numeric),
        len(literal),
    )
    return ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), numeric),
            ("literal", Pipeline(literal_steps), literal),
        ],
        verbose_feature_names_out=False,
    )


def _make_literal_encoder(
    options: EncoderOptions, seed: int | None
) -> TransformerMixin:
    if options.literal == "onehot":
        return OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    if options.literal == "ordinal":
        return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    if options.literal == "target":
        return _make_target_encoder(options, seed)
    if options.literal == "frequency":
        return FrequencyEncoder()
    # Native: codes that the model treats as categories. Unseen literals get a
    # missing code, which xgboost and HistGradientBoosting route as missing.
    return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)


def _make_target_encoder(options: EncoderOptions, seed: int | None) -> TargetEncoder:
    """Build a TargetEncoder whose shuffled cross-fitting folds follow ``seed``.

    Cross-fitting inside fit_transform keeps a row's own label out of its
    encoding, so training accuracy is not inflated.
    """
    # scikit-learn 1.9 deprecated random_state in favour of a splitter as cv,
    # and releases before it take only an integer cv. Either way, the folds
    # are shuffled, so without a seed each fit encodes the training rows anew.
    if TargetEncoder().get_params()["random_state"] == "deprecated":
        folds = StratifiedKFold(n_splits=options.cv, shuffle=True, random_state=seed)
        return TargetEncoder(smooth=options.smooth, cv=folds)
    return TargetEncoder(smooth=options.smooth, cv=options.cv, random_state=seed)


def literal_output_mask(encoder: ColumnTransformer) -> np.ndarray:
    """Return a boolean mask of the fitted ``encoder``'s literal output columns."""
    n_outputs = max((s.stop for s in encoder.output_indices_.values()), default=0)
    mask = np.zeros(n_outputs, dtype=bool)
    mask[encoder.output_indices_["literal"]] = True
    return mask


def literal_cardinalities(encoder: ColumnTransformer) -> dict[str, int]:
    """Return the number of distinct training literals of each literal column."""
    columns, categories = _literal_vocabulary(encoder)
    return {name: len(values) for name, values in zip(columns, categories, strict=True)}


def count_unseen_literals(encoder: Any, X: pd.DataFrame) -> dict[str, int]:
    """Count, per literal column, the rows of ``X`` with a value absent from training.

    Missing values are not counted: imputation fills them with a seen value.
    How each encoding represents an unseen literal is in ``UNSEEN_HANDLING``.

    Parameters
    ----------
    encoder : ColumnTransformer or Pipeline
        The fitted encoder from :func:`make_encoder`, or a fitted pipeline whose
        first step is that encoder (the model the pipeline trains).
    X : DataFrame
        Features to check, with the training columns.

    Returns
    -------
    dict of str to int
        Literal column name to the number of rows with an unseen value; every
        literal column is present, with 0 when all its values were seen.

    Examples
    --------
    >>> counts = count_unseen_literals(model, test.X)  # doctest: +SKIP
    >>> sum(counts.values())  # doctest: +SKIP
    12
    """
    if isinstance(encoder, Pipeline):
        encoder = encoder.steps[0][1]
    columns, categories = _literal_vocabulary(encoder)
    counts = {}
    for name, seen in zip(columns, categories, strict=True):
        values = X[name]
        unseen = values.notna() & ~values.isin(seen)
        counts[str(name)] = int(unseen.sum())
    return counts


def log_unseen_literals(
    encoder: Any, X: pd.DataFrame, *, name: str, literal: str
) -> int:
    """Count the unseen literals of ``X`` per column, log them and return the total."""
    counts = count_unseen_literals(encoder, X)
    total = sum(counts.values())
    if total:
        listed = ", ".join(f"{column}={n}" for column, n in counts.items() if n)
        log.warning(
            "Test set %s has %d literal values unseen in training (%s); "
            "encoder=%s gives them %s",
            name,
            total,
            listed,
            literal,
            UNSEEN_HANDLING.get(literal, "its unknown-value handling"),
        )
    return total


def log_missing_test_values(
    encoder: Any, X: pd.DataFrame, *, key: str, path: str
) -> None:
    """Log one warning that counts a test table's missing values and their fill.

    Parameters
    ----------
    encoder : ColumnTransformer
        The fitted encoder from :func:`make_encoder`.
    X : DataFrame
        Features of the test table, with the training columns.
    key : str
        The config key of the test table, such as ``generator.tests.holdout``.
    path : str
        The path that ``key`` gives.
    """
    counts = X.isna().sum()
    groups = []
    for name, transformer, columns in encoder.transformers_:
        # scikit-learn leaves the transformer of an empty column list unfitted.
        if name not in ("numeric", "literal") or not len(columns):
            continue
        imputer = transformer.named_steps["impute"]
        # statistics_ contains each column's fill value, computed on training rows.
        filled = [
            f"{column}={int(counts[column])} fill={_format_fill(value)}"
            for column, value in zip(columns, imputer.statistics_, strict=True)
            if counts[column]
        ]
        if filled:
            groups.append(f"strategy={imputer.strategy} {', '.join(filled)}")
    if groups:
        log.warning(
            "Imputing missing values of %s (%s) with training values %s",
            key,
            path,
            "; ".join(groups),
        )


def _format_fill(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, np.generic):
        value = value.item()
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _literal_vocabulary(encoder: ColumnTransformer) -> tuple[list[str], list[Any]]:
    """Return the literal columns of a fitted encoder and the values each saw."""
    for name, transformer, columns in encoder.transformers_:
        if name == "literal" and len(columns) and transformer != "drop":
            return list(columns), list(transformer.named_steps["encode"].categories_)
    return [], []


def _log_missing(X, numeric, numeric_fill, literal, literal_fill) -> None:
    counts = X.isna().sum()
    for names, fill in ((numeric, numeric_fill), (literal, literal_fill)):
        gaps = {name: int(counts[name]) for name in names if counts[name]}
        if gaps:
            listed = ", ".join(f"{name}={count}" for name, count in gaps.items())
            log.info("Imputing missing values strategy=%s %s", fill, listed)


def _check_choice(value: Any, key: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ConfigError(
            f"encoder.{key} is {value!r}; use one of {', '.join(options)}."
        )
