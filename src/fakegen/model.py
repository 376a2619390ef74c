"""Instantiate the configured estimator, check it against the encoder, and fit it."""

from __future__ import annotations

import difflib
import inspect
import logging
import pkgutil
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError

from fakegen.errors import ConfigError
from fakegen.xgboost_check import check_xgboost_parameters, unused_keys

log = logging.getLogger(__name__)

#: Parameter names through which estimators take a seed.
SEED_PARAMETERS = ("random_state", "seed", "random_seed")
#: Estimators that compare distances or gradients across columns, so unscaled
#: numeric columns with large values dominate them.
SCALE_SENSITIVE = (SVC, KNeighborsClassifier, MLPClassifier)

_SKLEARN_PARAMETER = re.compile(
    r"The '(?P<key>\w+)' parameter of (?P<owner>\w+) must be (?P<expected>.+?)\. "
    r"Got (?P<got>.+) instead\."
)
_XGBOOST_PARAMETER = re.compile(r"[Pp]arameter (?:format for )?(?P<key>\w+)")
#: Start of the message with which estimators that need counts, such as
#: MultinomialNB in scikit-learn 1.9, reject negative inputs.
_NEGATIVE_INPUT = re.compile(r"[Nn]egative values")


def make_model(cfg: DictConfig | Mapping[str, Any], *, seed: int) -> BaseEstimator:
    """Instantiate ``cfg`` (the ``model`` group), seed it and check its parameters.

    Any scikit-learn compatible class works through ``model._target_``; the other
    keys are its constructor arguments.

    Parameters
    ----------
    cfg : DictConfig or mapping
        The ``model`` group: ``_target_`` and constructor arguments.
    seed : int
        Given to every ``random_state``, ``seed`` or ``random_seed`` parameter,
        nested estimators included, that the config leaves at None.

    Returns
    -------
    BaseEstimator
        The unfitted estimator.

    Raises
    ------
    ConfigError
        If ``_target_`` cannot be imported, is not an estimator, declares itself
        something other than a classifier, or a key is not one of its parameters
        or has a value it rejects.
    """
    target = cfg.get("_target_")
    if not isinstance(target, str) or not target:
        raise ConfigError(
            f"model._target_ is {target!r}; name an estimator class such as "
            "sklearn.linear_model.LogisticRegression."
        )
    estimator_class = _import_class(target)
    if not hasattr(estimator_class, "fit") or not hasattr(estimator_class, "predict"):
        raise ConfigError(
            f"model._target_ is {target!r}, which has no fit and predict methods; "
            "name a scikit-learn compatible estimator."
        )
    _check_classifier_class(estimator_class, target)
    _check_keys(cfg, estimator_class, target)
    try:
        estimator = instantiate(cfg, _convert_="all")
    except InstantiationException as exc:
        raise ConfigError(
            f"model._target_={target!r} could not be instantiated: "
            f"{_root_message(exc)}. Check the model.* keys."
        ) from exc
    _check_classifier(estimator, target)
    seed_estimator(estimator, seed)
    _validate_parameters(estimator)
    check_xgboost_parameters(estimator)
    return estimator


def seed_estimator(estimator: Any, seed: int) -> list[str]:
    """Set every seed parameter of ``estimator`` that is None to ``seed``.

    Nested estimators (``estimator__random_state``) are seeded too, so a meta
    estimator and the estimators it wraps are all reproducible.

    Returns
    -------
    list of str
        The parameters that were set.
    """
    try:
        params = estimator.get_params(deep=True)
    except (AttributeError, TypeError):
        return []
    seeded = {
        key: seed
        for key, value in params.items()
        if key.rsplit("__", 1)[-1] in SEED_PARAMETERS and value is None
    }
    if seeded:
        estimator.set_params(**seeded)
    return sorted(seeded)


def accepts_native_literals(estimator: Any) -> bool:
    """Return whether ``estimator`` takes literal columns as categories.

    Those are xgboost's estimators and scikit-learn's HistGradientBoosting.
    """
    if isinstance(estimator, HistGradientBoostingClassifier):
        return True
    from xgboost import XGBModel

    return isinstance(estimator, XGBModel)


def check_pairing(
    estimator: Any, *, literal: str, scaling: str, model_name: str
) -> None:
    """Reject an encoder and model pair that cannot train together.

    Runs before any data is generated, so a bad pair costs no time.

    Parameters
    ----------
    estimator : estimator
        The unfitted model from :func:`make_model`.
    literal : str
        The literal encoding, ``encoder.literal``.
    scaling : str
        The numeric scaling, ``encoder.scaling``; ``none`` only warns.
    model_name : str
        How to name the model in messages, such as ``model=logreg``.

    Raises
    ------
    ConfigError
        If ``literal`` is ``native`` and the model cannot take categories.
    """
    if literal == "native" and not accepts_native_literals(estimator):
        raise ConfigError(
            f"encoder=native keeps literals as categories, which only xgboost and "
            f"hist_gb accept, not {model_name}; use encoder=onehot or model=xgboost."
        )
    if (
        literal == "native"
        and estimator.get_params().get("enable_categorical") is False
    ):
        raise ConfigError(
            f"encoder=native needs model.enable_categorical=true with {model_name}, "
            "but it is false; set model.enable_categorical=true or use encoder=onehot."
        )
    if scaling == "none" and isinstance(estimator, SCALE_SENSITIVE):
        log.warning(
            "encoder.scaling is none, but %s compares columns on one scale, so "
            "columns with large values dominate; consider encoder.scaling=standard",
            model_name,
        )


def describe_model(cfg: Mapping[str, Any], choice: str | None) -> str:
    """Name the model for messages: ``model=tree``, with the class if it was swapped."""
    target = cfg.get("_target_")
    if choice is None:
        return f"model._target_={target}"
    return f"model={choice} ({target})"


def fit_model(
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    categorical: np.ndarray | None = None,
    cardinalities: Mapping[str, int] | None = None,
) -> Any:
    """Fit ``estimator`` on encoded features, reporting bad parameters as config errors.

    Parameters
    ----------
    estimator : estimator
        From :func:`make_model`; fitted in place.
    X : ndarray of shape (n_samples, n_features)
        Encoded features.
    y : ndarray of shape (n_samples,)
        Labels.
    categorical : ndarray of bool, default=None
        Columns of ``X`` that contain literal codes, for ``encoder=native``. The
        estimator splits them as categories.
    cardinalities : mapping of str to int, default=None
        Distinct training literals per literal column, to check against the
        category limit of HistGradientBoosting.

    Returns
    -------
    estimator
        The fitted ``estimator``.

    Raises
    ------
    ConfigError
        If the estimator rejects a parameter or negative inputs, or has no
        ``classes_`` after fit, which means it is not a classifier.
    """
    if categorical is not None:
        _declare_categorical(estimator, categorical, cardinalities or {})
    _check_boosting_rounds(estimator)
    try:
        with _unused_xgboost_parameters(estimator):
            estimator.fit(X, y)
    except InvalidParameterError as exc:
        raise _sklearn_parameter_error(exc, estimator) from exc
    except ValueError as exc:
        # xgboost checks its parameters only when it trains, and raises
        # XGBoostError, a ValueError, naming the parameter.
        from xgboost.core import XGBoostError

        if isinstance(exc, XGBoostError):
            raise _xgboost_parameter_error(exc, estimator) from exc
        if _NEGATIVE_INPUT.search(str(exc)):
            raise ConfigError(
                f"model._target_={_class_path(estimator)!r} failed to fit: "
                f"{_first_line(exc)} It accepts only inputs of 0 or more; set "
                "encoder.scaling=minmax."
            ) from exc
        # Other errors of fit come from settings that only the data rules
        # out, such as model.n_neighbors above the number of training rows.
        raise ConfigError(
            f"model._target_={_class_path(estimator)!r} failed to fit "
            f"{X.shape[0]} training rows of {X.shape[1]} features: "
            f"{_first_line(exc)} Check the model.* settings "
            "(fakegen --cfg job lists them)."
        ) from exc
    if not hasattr(estimator, "classes_"):
        raise ConfigError(
            f"model._target_ is {_class_path(estimator)!r}, which has no classes_ "
            "after fit, so it is not a classifier; name a classifier such as "
            "sklearn.ensemble.RandomForestClassifier."
        )
    # Neighbour models accept any n_neighbors at fit and fail only when they
    # predict, after the run has trained.
    neighbours = getattr(estimator, "n_neighbors", None)
    fitted_rows = getattr(estimator, "n_samples_fit_", None)
    if isinstance(neighbours, int) and fitted_rows is not None:
        if neighbours > fitted_rows:
            raise ConfigError(
                f"model.n_neighbors is {neighbours}, more than the {fitted_rows} "
                "training rows; set it below the number of rows, such as 5."
            )
    return estimator


def _check_boosting_rounds(estimator: Any) -> None:
    """Reject fewer than one boosting round, which xgboost accepts silently.

    With no round, xgboost predicts a constant and every verdict reads
    not_learned, although the settings, not the model family, are at fault.
    """
    from xgboost import XGBModel

    if not isinstance(estimator, XGBModel):
        return
    rounds = estimator.get_params().get("n_estimators")
    if rounds is None:
        return
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ConfigError(
            f"model.n_estimators is {rounds!r}; give a number of boosting rounds "
            "of 1 or more, such as 200."
        )


def check_synthetic_classes(y: np.ndarray, *, rows: int, balance: float) -> None:
    """Raise ConfigError unless the synthetic labels ``y`` contain both classes.

    Every classifier needs two classes to train, and a ``generator.balance``
    near 0 or 1 with few ``generator.rows`` gives a table of one class.
    """
    present = np.unique(y)
    if len(present) >= 2:
        return
    raise ConfigError(
        f"generator.balance is {balance!r} and generator.rows is {rows!r}, so every "
        f"training row has label {present[0].item()!r}, but a classifier needs both "
        "classes; move generator.balance towards 0.5 or raise generator.rows."
    )


def make_pipeline(encoder: Any, estimator: BaseEstimator) -> Pipeline:
    """Chain the encoder and a fresh clone of ``estimator``."""
    return Pipeline([("encode", encoder), ("model", clone(estimator))])


def _import_class(target: str) -> type:
    try:
        found = pkgutil.resolve_name(target)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(
            f"model._target_ is {target!r}, which cannot be imported ({exc}); name "
            "an importable estimator class such as sklearn.svm.SVC."
        ) from exc
    if not inspect.isclass(found):
        raise ConfigError(
            f"model._target_ is {target!r}, which is not a class; name an "
            "estimator class such as sklearn.svm.SVC."
        )
    return found


def _check_classifier_class(estimator_class: type, target: str) -> None:
    """Reject a scikit-learn class whose tags declare another estimator type.

    This runs before the model.* keys are checked, so that swapping in a
    regressor reports the class rather than the preset keys it lacks.
    """
    if not issubclass(estimator_class, BaseEstimator):
        return
    try:
        # scikit-learn constructors only store their arguments, so a default
        # instance is cheap and exposes the tags.
        default = estimator_class()
    except (TypeError, ValueError):
        # Classes with required arguments are checked once instantiated.
        return
    _check_classifier(default, target)


def _check_classifier(estimator: Any, target: str) -> None:
    """Reject an estimator whose scikit-learn tags declare another estimator type.

    Estimators without scikit-learn tags pass here, because they may still be
    classifiers by duck typing; fit_model then checks that they set classes_.
    """
    try:
        if is_classifier(estimator):
            return
        declared = get_tags(estimator).estimator_type
    except (AttributeError, TypeError):
        return
    if declared is not None:
        raise _not_classifier(target, declared)


def _not_classifier(target: str, declared: str) -> ConfigError:
    return ConfigError(
        f"model._target_ is {target!r}, a {declared}, but fakegen trains and scores "
        "a classifier; name a classifier such as "
        "sklearn.ensemble.RandomForestClassifier."
    )


def _class_path(estimator: Any) -> str:
    return f"{type(estimator).__module__}.{type(estimator).__qualname__}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_keys(cfg: Mapping[str, Any], estimator_class: type, target: str) -> None:
    """Reject keys that are not constructor arguments of ``estimator_class``."""
    try:
        parameters = inspect.signature(estimator_class).parameters.values()
    except (TypeError, ValueError):
        # Classes written in C may expose no signature; instantiate reports theirs.
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        # Such classes (xgboost's) take any keyword, so make_model checks
        # xgboost's with a probe fit.
        return

    accepted = [
        p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL
    ]
    unknown = [key for key in cfg if not key.startswith("_") and key not in accepted]
    if not unknown:
        return
    values = (
        OmegaConf.to_container(cfg, resolve=True)
        if isinstance(cfg, DictConfig)
        else cfg
    )
    name = estimator_class.__name__

    if len(unknown) == 1:
        key = unknown[0]
        close = difflib.get_close_matches(key, accepted, n=1)
        fix = f"Did you mean model.{close[0]}? " if close else ""
        raise ConfigError(
            f"model.{key} is {values[key]!r}, but {name} ({target}) has no "
            f"parameter {key!r}; remove it with ~model.{key}. {fix}Its parameters "
            f"are {', '.join(accepted) or 'none'}."
        )
    # Several unknown keys usually mean model._target_ replaced the class of a
    # preset whose keys stayed behind.
    listed = ", ".join(f"model.{key}={values[key]!r}" for key in unknown)
    removals = " ".join(f"~model.{key}" for key in unknown)
    raise ConfigError(
        f"{name} ({target}) has no parameters {', '.join(map(repr, unknown))}, "
        f"but the config sets {listed}. Remove them with {removals}, or start "
        f"from an empty model group: ~model +model._target_={target}."
    )


def _validate_parameters(estimator: Any) -> None:
    """Check parameter values before any data exists, where scikit-learn can."""
    # NOTE: _validate_params and InvalidParameterError are private scikit-learn
    # API (the check fit runs first). Should they change, fit_model still
    # reports the error, but only after the data is generated.
    if not hasattr(estimator, "_parameter_constraints"):
        return
    try:
        estimator._validate_params()
    except InvalidParameterError as exc:
        raise _sklearn_parameter_error(exc, estimator) from exc


def _declare_categorical(
    estimator: Any, categorical: np.ndarray, cardinalities: Mapping[str, int]
) -> None:
    if isinstance(estimator, HistGradientBoostingClassifier):
        limit = estimator.get_params()["max_bins"]
        for column, count in cardinalities.items():
            if count > limit:
                raise ConfigError(
                    f"Literal column {column!r} has {count} distinct values, more "
                    f"than model.max_bins={limit}, the most categories hist_gb "
                    "splits; use encoder=onehot or model=xgboost."
                )
        estimator.set_params(categorical_features=categorical)
    else:
        feature_types = np.where(categorical, "c", "q").tolist()
        estimator.set_params(feature_types=feature_types, enable_categorical=True)


@contextmanager
def _unused_xgboost_parameters(estimator: Any) -> Iterator[None]:
    """Turn xgboost's "Parameters: { foo } are not used" warning into an error."""
    from xgboost import XGBModel

    if not isinstance(estimator, XGBModel):
        yield
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        keys = unused_keys(str(warning.message))
        if keys:
            key = keys[0]
            value = estimator.get_params().get(key)
            raise ConfigError(
                f"model.{key} is {value!r}, but {type(estimator).__name__} has no "
                f"parameter {key!r}; remove it with ~model.{key}."
            )
        warnings.warn_explicit(
            warning.message, warning.category, warning.filename, warning.lineno
        )


def _sklearn_parameter_error(exc: Exception, estimator: Any) -> ConfigError:
    match = _SKLEARN_PARAMETER.search(str(exc))
    params = estimator.get_params()
    if match is None or match.group("key") not in params:
        return ConfigError(
            f"{type(estimator).__name__} rejected a parameter: {exc} "
            "Fix the matching model.* key."
        )
    key = match.group("key")
    return ConfigError(
        f"model.{key} is {params[key]!r}, but {match.group('owner')} needs "
        f"{match.group('expected')}; set model.{key} to such a value."
    )


def _xgboost_parameter_error(exc: Exception, estimator: Any) -> ConfigError:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    match = _XGBOOST_PARAMETER.search(first_line)
    params = estimator.get_params()
    if match is None or match.group("key") not in params:
        return ConfigError(
            f"{type(estimator).__name__} failed to fit: {first_line}. "
            "Check the model.* keys."
        )
    key = match.group("key")
    return ConfigError(
        f"model.{key} is {params[key]!r}, which xgboost rejects ({first_line}); "
        f"set model.{key} to a valid value."
    )


def _root_message(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__
