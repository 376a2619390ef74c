"""Locate the config and experiment folders in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(folder: str) -> Path:
    # A source checkout (editable install) keeps the folder at the repository
    # root, two levels above src/fakegen; a wheel ships a copy in the package.
    checkout = _PACKAGE.parents[1] / folder
    if checkout.is_dir():
        return checkout
    return _PACKAGE / folder


def config_dir() -> Path:
    """Return the folder that contains config.yaml and the config groups."""
    return _find("conf")


def experiments_dir() -> Path:
    """Return the folder that contains the named experiments."""
    return _find("experiments")
