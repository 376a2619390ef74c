"""Reject keyword arguments that xgboost's estimators would not use, before training.

xgboost's scikit-learn wrapper takes any keyword and hands the ones outside
its signature to the booster, which reports an unknown one only when it
trains: "Parameters: { "bogus" } are not used." A one-round fit on four rows
gets the same report at once, so a typo such as ``+model.max_dept=3`` stops
the run before any data is generated.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import warnings
from typing import Any

import numpy as np
from sklearn.base import clone

from fakegen.errors import ConfigError

log = logging.getLogger(__name__)

_UNUSED = re.compile(r"Parameters: \{ (?P<keys>[^}]*) \} are not used")
# Settings of the probe fit: one round on one thread, verbosity 1 so that
# xgboost warns even where the config silences it, and none of the inputs
# that four probe rows cannot match.
_PROBE_SETTINGS = {
    "n_estimators": 1,
    "n_jobs": 1,
    "verbosity": 1,
    "early_stopping_rounds": None,
    "callbacks": None,
    "feature_types": None,
    "feature_weights": None,
}


def unused_keys(text: str) -> list[str]:
    """Return the parameter names of xgboost's "are not used" warning ``text``."""
    match = _UNUSED.search(text)
    if match is None:
        return []
    return [key.strip().strip('"') for key in match.group("keys").split(",")]


def check_xgboost_parameters(estimator: Any) -> None:
    """Raise ConfigError for a keyword of ``estimator`` that xgboost would not use.

    Only the keywords outside the wrapper's signature (``estimator.kwargs``)
    reach the booster unchecked, so an estimator without them costs nothing.
    Otherwise one probe fit runs on four rows with the estimator's settings.

    NOTE: the probe has one numeric column and the labels 0 and 1. A setting
    that cannot fit such rows, such as ``objective=multi:softmax``, can make
    the probe fail before xgboost checks the names, and then an unused key is
    found only when the model trains.
    """
    from xgboost import XGBModel

    if not isinstance(estimator, XGBModel) or not getattr(estimator, "kwargs", None):
        return
    probe = clone(estimator)
    # Older xgboost releases lack some of these parameters, such as
    # feature_weights before 3.0.
    parameters = probe.get_params()
    probe.set_params(
        **{key: value for key, value in _PROBE_SETTINGS.items() if key in parameters}
    )
    X = np.array([[0.0], [1.0], [0.0], [1.0]])
    y = np.array([0, 1, 0, 1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            probe.fit(X, y)
        except Exception as exc:
            # The probe must never stop a run that could train. fit_model
            # reports whatever this fit rejects, with the real data.
            log.debug("xgboost parameter probe failed: %s", exc)
    for warning in caught:
        keys = unused_keys(str(warning.message))
        if keys:
            raise _unused_key_error(estimator, probe, keys[0])


def _unused_key_error(estimator: Any, probe: Any, key: str) -> ConfigError:
    import xgboost

    value = estimator.get_params().get(key)
    close = difflib.get_close_matches(key, sorted(_known_parameters(probe)), n=1)
    hint = f"Did you mean model.{close[0]}? " if close else ""
    return ConfigError(
        f"model.{key} is {value!r}, but xgboost {xgboost.__version__} reports "
        f"that {type(estimator).__name__} does not use a parameter {key!r} with "
        f"these settings. {hint}Fix the name, or remove it with ~model.{key}."
    )


def _known_parameters(probe: Any) -> set[str]:
    """Return the wrapper's parameters and those of the probe's booster.

    The booster's configuration stores each group of parameters under a key
    ending in ``_param`` (such as ``tree_train_param``), so those keys name
    the parameters this xgboost version takes with these settings.
    """
    known = set(type(probe)().get_params())
    try:
        config = json.loads(probe.get_booster().save_config())
    except Exception as exc:
        # A probe that failed to fit has no booster, so only the wrapper's
        # names are left.
        log.debug("No booster configuration to suggest a parameter: %s", exc)
        return known
    known.update(_booster_parameters(config))
    return known


def _booster_parameters(node: Any, *, in_param: bool = False) -> set[str]:
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _booster_parameters(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                found |= _booster_parameters(value, in_param=key.endswith("_param"))
            elif in_param:
                found.add(key)
    return found
