"""Instantiate the configured estimator and wrap it with the encoder."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

from fakegen.errors import ConfigError

log = logging.getLogger(__name__)


def make_model(cfg: DictConfig | Mapping[str, Any], *, seed: int) -> BaseEstimator:
    """Instantiate ``cfg`` (the ``model`` group) and seed it if it takes a seed.

    Any scikit-learn compatible class works through ``model._target_``. Keys that
    are not part of ``_target_``'s constructor are reported by name.
    """
    target = cfg.get("_target_")
    if not isinstance(target, str) or not target:
        raise ConfigError(
            f"model._target_ is {target!r}; name an estimator class such as "
            "sklearn.linear_model.LogisticRegression."
        )
    try:
        estimator = instantiate(cfg, _convert_="all")
    except InstantiationException as exc:
        raise ConfigError(
            f"model._target_={target!r} could not be instantiated: "
            f"{_root_message(exc)}. Check the class path and the model.* keys."
        ) from exc
    if not hasattr(estimator, "fit") or not hasattr(estimator, "predict"):
        raise ConfigError(
            f"model._target_ is {target!r}, which has no fit and predict methods; "
            "name a scikit-learn compatible estimator."
        )
    _seed_estimator(estimator, seed)
    return estimator


def _seed_estimator(estimator: Any, seed: int) -> None:
    """Set ``random_state`` to ``seed`` unless the config already set one."""
    try:
        params = estimator.get_params(deep=False)
    except (AttributeError, TypeError):
        return
    if "random_state" in params and params["random_state"] is None:
        estimator.set_params(random_state=seed)


def make_pipeline(encoder: Any, estimator: BaseEstimator) -> Pipeline:
    """Chain the encoder and a fresh clone of ``estimator``."""
    return Pipeline([("encode", encoder), ("model", clone(estimator))])


def _root_message(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
