"""Transformers the encoder adds: frequency encoding and numeric feature expansion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.preprocessing import FunctionTransformer, PolynomialFeatures
from sklearn.utils.validation import check_is_fitted


class FrequencyEncoder(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Replace each literal with the share of training rows that contain it.

    scikit-learn has no frequency encoder, so this one follows the transformer
    API: one output column per input column, ``categories_`` as in
    :class:`~sklearn.preprocessing.OrdinalEncoder`, and 0.0 for a literal that
    the training rows never held.

    Attributes
    ----------
    categories_ : list of ndarray
        Literals seen in training, per column, sorted.
    frequencies_ : list of dict
        Share of training rows per literal, per column.
    """

    def fit(self, X: Any, y: Any = None) -> FrequencyEncoder:
        """Count the share of rows of each literal in each column of ``X``."""
        values = _as_table(X)
        self.n_features_in_ = values.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.frequencies_ = []
        self.categories_ = []
        for column in values.T:
            shares = pd.Series(column).value_counts(normalize=True, dropna=False)
            self.frequencies_.append(shares.to_dict())
            self.categories_.append(np.array(sorted(shares.index, key=str)))
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Map each literal to its training share; unseen literals map to 0.0."""
        check_is_fitted(self, "frequencies_")
        values = _as_table(X)
        if values.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {values.shape[1]} columns, but FrequencyEncoder was fitted "
                f"on {self.n_features_in_}."
            )
        encoded = np.empty(values.shape, dtype=np.float64)
        for index, shares in enumerate(self.frequencies_):
            mapped = pd.Series(values[:, index]).map(shares)
            encoded[:, index] = mapped.fillna(0.0).to_numpy(dtype=np.float64)
        return encoded


def _as_table(X: Any) -> np.ndarray:
    """Return ``X`` as a 2-D object array, keeping missing values."""
    values = X.to_numpy(dtype=object) if isinstance(X, pd.DataFrame) else X
    values = np.asarray(values, dtype=object)
    if values.ndim != 2:
        raise ValueError(f"Expected a 2-D table, got an array of shape {values.shape}.")
    return values


def literals_as_objects(X: Any) -> np.ndarray:
    """Return literal columns as an object array with ``np.nan`` for every gap.

    SimpleImputer finds ``np.nan`` in object columns but not ``None`` or
    ``pd.NA``, which pandas uses for gaps in object and string columns.
    """
    frame = pd.DataFrame(X).astype(object)
    return frame.where(frame.notna(), np.nan).to_numpy(dtype=object)


def make_literal_gaps_nan() -> FunctionTransformer:
    """Build the step that applies :func:`literals_as_objects`."""
    return FunctionTransformer(
        literals_as_objects, feature_names_out="one-to-one", validate=False
    )


def signed_log1p(X: Any) -> np.ndarray:
    """Return ``sign(X) * log(1 + |X|)``, a logarithm defined for every real value."""
    values = np.asarray(X, dtype=np.float64)
    return np.sign(values) * np.log1p(np.abs(values))


def append_logarithms(X: Any) -> np.ndarray:
    """Return ``X`` with :func:`signed_log1p` of each of its columns appended."""
    values = np.asarray(X, dtype=np.float64)
    return np.hstack([values, signed_log1p(values)])


def logarithm_names(transformer: Any, input_features: Any) -> np.ndarray:
    """Name the output columns of :func:`append_logarithms`: ``age``, ``log(age)``."""
    names = [str(name) for name in input_features]
    return np.array([*names, *(f"log({name})" for name in names)], dtype=object)


def make_logarithms() -> FunctionTransformer:
    """Build the step that appends a signed logarithm of each numeric column.

    A ratio constraint such as ``income / age >= 500`` becomes the linear
    ``log(income) - log(age) >= log(500)``. The signed form keeps zero and
    negative values defined, at the price of ``log(1 + x)`` in place of
    ``log(x)``.
    """
    return FunctionTransformer(
        append_logarithms, feature_names_out=logarithm_names, validate=False
    )


def make_interactions() -> PolynomialFeatures:
    """Build the step that appends the product of every pair of numeric columns.

    With ``x1 * x2`` available, a linear model can separate an exclusive-or of
    two thresholds, because ``(x1 - a) * (x2 - b)`` is linear in ``x1``, ``x2``
    and ``x1 * x2``.
    """
    return PolynomialFeatures(degree=2, interaction_only=True, include_bias=False)
