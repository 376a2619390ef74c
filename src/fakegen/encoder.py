"""Turn a feature table into numbers with a scikit-learn ColumnTransformer."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

from fakegen.errors import ConfigError

log = logging.getLogger(__name__)

SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "none": None}
LITERAL_ENCODERS = ("onehot", "ordinal")
NUMERIC_IMPUTATION = ("median", "mean")
LITERAL_IMPUTATION = ("most_frequent", "constant")


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


def make_encoder(cfg: Mapping[str, Any], X: pd.DataFrame) -> ColumnTransformer:
    """Build the ColumnTransformer that ``cfg`` (the ``encoder`` group) describes.

    Numeric columns are imputed and scaled; literal columns are imputed and
    encoded. Missing values in ``X`` are counted and logged, because imputation
    changes what the model sees.
    """
    literal_method = _choice(cfg, "literal", LITERAL_ENCODERS, "onehot")
    scaling = _choice(cfg, "scaling", tuple(SCALERS), "standard")
    numeric_fill = _choice(cfg, "impute_numeric", NUMERIC_IMPUTATION, "median")
    literal_fill = _choice(cfg, "impute_literal", LITERAL_IMPUTATION, "most_frequent")

    numeric, literal = split_columns(X)
    _log_missing(X, numeric, numeric_fill, literal, literal_fill)

    numeric_steps = [("impute", SimpleImputer(strategy=numeric_fill))]
    if SCALERS[scaling] is not None:
        numeric_steps.append(("scale", SCALERS[scaling]()))
    if literal_method == "onehot":
        # Unseen literals at test time become an all-zero row instead of an error.
        literal_encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    else:
        literal_encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1
        )
    literal_steps = [
        ("impute", SimpleImputer(strategy=literal_fill, fill_value="missing")),
        ("encode", literal_encoder),
    ]
    return ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), numeric),
            ("literal", Pipeline(literal_steps), literal),
        ],
        verbose_feature_names_out=False,
    )


def _log_missing(X, numeric, numeric_fill, literal, literal_fill) -> None:
    counts = X.isna().sum()
    for names, fill in ((numeric, numeric_fill), (literal, literal_fill)):
        gaps = {name: int(counts[name]) for name in names if counts[name]}
        if gaps:
            listed = ", ".join(f"{name}={count}" for name, count in gaps.items())
            log.info("Imputing missing values strategy=%s %s", fill, listed)


def _choice(cfg: Mapping[str, Any], key: str, options: tuple[str, ...], default: str):
    value = cfg.get(key, default)
    if value not in options:
        raise ConfigError(
            f"encoder.{key} is {value!r}; use one of {', '.join(options)}."
        )
    return value
