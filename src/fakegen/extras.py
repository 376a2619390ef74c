"""Name the extra to install when the command line requests a missing Hydra plugin.

Without the plugin, Hydra stops while composing the config with "Could not
find 'hydra/sweeper/optuna'", which does not say that one ``pip install``
fixes it. The check reads the command line as Hydra will: an option such as
``hydra/sweeper=optuna``, or an experiment whose defaults choose it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fakegen.errors import ConfigError

# Hydra option (group, name) -> (module that provides it, fakegen extra).
PLUGIN_EXTRAS = {
    ("hydra/sweeper", "optuna"): ("hydra_plugins.hydra_optuna_sweeper", "tune"),
}


def check_plugins(arguments: Sequence[str], experiments: Mapping[str, Any]) -> None:
    """Raise ConfigError if ``arguments`` choose a plugin that is not installed.

    Parameters
    ----------
    arguments : sequence of str
        The command line after the program name.
    experiments : mapping
        Experiment name to its ``defaults`` list, as loaded from its YAML file.
    """
    for argument, group, name in _chosen_options(arguments, experiments):
        module, extra = PLUGIN_EXTRAS.get((group, name), (None, None))
        if module is None or _importable(module):
            continue
        raise ConfigError(
            f"{argument} uses Hydra's {name} {group.rsplit('/', 1)[-1]}, which is "
            f"not installed; install the {extra} extra, with pip install -e "
            f"'.[{extra}]' in a clone of fakegen or pip install 'fakegen[{extra}]'."
        )


def _chosen_options(
    arguments: Sequence[str], experiments: Mapping[str, Any]
) -> Iterable[tuple[str, str, str]]:
    """Yield (argument, group, option) for each config group option chosen."""
    for argument in arguments:
        key, equals, value = argument.lstrip("+~").partition("=")
        if not equals:
            continue
        yield argument, key, value
        if key == "experiment":
            for entry in experiments.get(value) or []:
                if not isinstance(entry, Mapping):
                    continue
                for target, option in entry.items():
                    group = str(target).removeprefix("override ").lstrip("/")
                    yield argument, group, str(option)


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
