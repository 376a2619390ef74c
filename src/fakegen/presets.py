"""Options of the config groups and the keys their presets set, read from conf/.

The checks that run before Hydra use them to reject a mistyped option
(``model=tre``) or preset key (``model.max_dept=3``) with the closest match.
Hydra lists every option for the first and advises adding the key with ``+``
for the second, which would pass the typo on to the estimator.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from fakegen.paths import config_dir, experiments_dir


@cache
def group_options() -> dict[str, tuple[str, ...]]:
    """Return the options of every config group, ``experiment`` included."""
    options = {
        path.name: tuple(sorted(file.stem for file in path.glob("*.yaml")))
        for path in sorted(config_dir().iterdir())
        if path.is_dir()
    }
    options["experiment"] = tuple(
        sorted(file.stem for file in experiments_dir().glob("*.yaml"))
    )
    return options


def option_file(group: str, option: str) -> Path:
    """Return the file of ``option`` in ``group``; experiments have their own folder."""
    folder = experiments_dir() if group == "experiment" else config_dir() / group
    return folder / f"{option}.yaml"


def preset_body(group: str, option: str) -> dict[str, Any]:
    """Return the keys an option file sets, without its ``defaults`` list."""
    body = dict(_read_yaml(option_file(group, option)))
    body.pop("defaults", None)
    return body


def root_body(config_name: str = "config") -> dict[str, Any]:
    """Return the keys a primary config such as config.yaml sets, without defaults."""
    body = dict(_read_yaml(config_dir() / f"{config_name}.yaml"))
    body.pop("defaults", None)
    return body


def default_choices(config_name: str = "config") -> dict[str, str]:
    """Return the option that a primary config such as config.yaml picks per group."""
    return overridden_groups(_read_yaml(config_dir() / f"{config_name}.yaml"))


def preset_overrides(group: str, option: str, *, hydra: bool = False) -> dict[str, str]:
    """Return the options that the defaults list of an option file overrides.

    generator/file.yaml sets the constraint group to ``none``, and the
    tune_xgboost experiment sets the model group to ``xgboost``. With
    ``hydra`` true, only Hydra's own groups are returned, such as
    ``hydra/sweeper``, which the tune_xgboost experiment sets to ``optuna``.
    """
    return overridden_groups(_read_yaml(option_file(group, option)), hydra=hydra)


def overridden_groups(
    document: dict[str, Any], *, hydra: bool = False
) -> dict[str, str]:
    """Return group to option for each entry of a file's ``defaults`` list.

    Entries read ``model: logreg``, ``override /model: xgboost`` or
    ``override /constraint@_global_.constraint: none``. Hydra's own groups
    (``hydra/launcher``) are left out, or with ``hydra`` true are the only
    ones kept.
    """
    found = {}
    for entry in document.get("defaults") or []:
        if not isinstance(entry, dict):
            continue
        for key, option in entry.items():
            group = str(key).removeprefix("override").strip().lstrip("/")
            group = group.split("@", 1)[0]
            keep = group.startswith("hydra/") if hydra else "/" not in group
            if keep and isinstance(option, str):
                found[group] = option
    return found


def find_missing_keys(
    bodies: Iterable[dict[str, Any]], path: list[str]
) -> list[tuple[list[str], list[str]]]:
    """Return where ``path`` leaves each body in ``bodies``; empty if any has it.

    Each entry is the path up to and including the first missing key, and
    the keys present at that level. A path that reaches a value that is not
    a mapping (a number, a list, null) counts as present, since Hydra may
    accept it there. With no bodies, nothing counts as missing.
    """
    misses = []
    for body in bodies:
        node: Any = body
        for depth, key in enumerate(path):
            if not isinstance(node, dict):
                return []
            if key not in node:
                misses.append((path[: depth + 1], list(map(str, node))))
                break
            node = node[key]
        else:
            return []
    return misses


@cache
def _read_yaml(path: Path) -> dict[str, Any]:
    # The checks read the same files once per key and experiment, so each is
    # parsed once. Callers copy the mapping before they change it. An
    # unreadable or odd file is left for Hydra to report in its own words.
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return document if isinstance(document, dict) else {}
