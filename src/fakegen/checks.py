"""Checks of config sections that no single stage owns."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from fakegen.errors import ConfigError

#: Top-level keys of the composed config, besides Hydra's own.
TOP_LEVEL_KEYS = (
    "generator",
    "constraint",
    "encoder",
    "model",
    "verifier",
    "tracker",
    "seed",
    "objective",
    "resume",
    "blas_threads",
)
# scikit-learn and NumPy's legacy RandomState take seeds below 2**32.
MAX_SEED = 2**32 - 1

#: Keys of the generator group, by ``generator.kind``.
GENERATOR_KEYS = {
    "synthetic": (
        "kind",
        "rows",
        "balance",
        "noise",
        "violations",
        "columns",
        "distractors",
        "workers",
    ),
    "file": ("kind", "train", "tests", "label", "positive", "drop", "table"),
}


#: Keys of the constraint group. ``expression`` is the rule that the
#: expression preset interpolates into its one constraint.
CONSTRAINT_KEYS = ("constraints", "label_rule", "expression")


def with_article(word: str) -> str:
    """Return ``word`` after "a" or "an" as it is read aloud: an xor, a uniform.

    The rule fits the names of column kinds and constraint types; a word such
    as "unseen" would need more.
    """
    return f"{'an' if word[:1].lower() in 'aeiox' else 'a'} {word}"


def suggestion(name: Any, choices: Iterable[str], *, prefix: str = "") -> str:
    """Return "Did you mean X? " for the choice closest to ``name``, or ""."""
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f"Did you mean {prefix}{close[0]}? " if close else ""


def check_keys(
    section: Mapping[str, Any], allowed: Iterable[str], *, key: str, owner: str = ""
) -> None:
    """Raise ConfigError for the first key of ``section`` outside ``allowed``.

    The message suggests the closest allowed key, since most unknown keys are
    typos such as ``generator.rowz``. ``owner``, such as "a range constraint",
    names what the keys belong to when ``key`` alone does not.
    """
    allowed = list(allowed)
    prefix = f"{key}." if key else ""
    where = f" of {owner}" if owner else ""
    for name in section:
        if name in allowed:
            continue
        hint = suggestion(name, allowed, prefix=prefix)
        raise ConfigError(
            f"{prefix}{name} is not a known key{where}. {hint}Known keys: "
            f"{', '.join(allowed) or 'none'}."
        )


def check_generator_keys(
    generator: Mapping[str, Any], kind: str, *, file_runs: bool = True
) -> None:
    """Raise ConfigError for a key of ``generator`` that its ``kind`` lacks.

    A key that belongs to the other kind, such as ``generator.tests`` on a
    synthetic table, gets a message naming the preset that takes it, unless
    ``file_runs`` is false: fakegen-generate writes synthetic tables only.
    """
    other = "file" if kind == "synthetic" else "synthetic"
    for name in generator:
        if name in GENERATOR_KEYS[kind] or name not in GENERATOR_KEYS[other]:
            continue
        if not file_runs:
            raise ConfigError(
                f"generator.{name} applies to a table read from a file, and "
                f"fakegen-generate writes synthetic tables only. Remove "
                f"generator.{name}."
            )
        if other == "file":
            raise ConfigError(
                f"generator.{name} applies to a table read from a file, but this "
                "run generates a synthetic table. Add generator=file to read your "
                f"own table, or remove generator.{name}."
            )
        raise ConfigError(
            f"generator.{name} applies to a synthetic table, but this run reads "
            "a table from a file. Choose a synthetic generator, such as "
            f"generator=applicant, or remove generator.{name}."
        )
    check_keys(generator, GENERATOR_KEYS[kind], key="generator")


def check_override_keys(
    arguments: Iterable[str],
    sections: Mapping[str, Iterable[str]],
    *,
    top_level: Iterable[str] = (),
) -> None:
    """Raise ConfigError for an override such as ``generator.nosie=0.1``.

    Hydra rejects a key that is not in the config with advice to add it with
    a plus sign, which a typo does not need. Of a plain override below one
    of ``sections``, the first key below the section is checked, and a plain
    key without a dot, such as ``sed=1``, must be one of ``top_level`` when
    that is given. Overrides with ``+``, ``++`` or ``~`` and Hydra's own
    (``hydra...``, ``hydra/launcher=...``) are left to Hydra and the stages.
    """
    top_level = list(top_level)
    for argument in arguments:
        if argument.startswith(("+", "~", "-")):
            continue
        path, equals, _ = argument.partition("=")
        section, dot, rest = path.partition(".")
        if not equals or "/" in path:
            continue
        if dot and section in sections:
            name = rest.split(".", 1)[0]
            check_keys({name: None}, sections[section], key=section)
        elif top_level and section != "hydra":
            # A mistyped section, such as genertor.rows, is checked as a key.
            check_keys({section: None}, top_level, key="")


def check_seed(seed: Any) -> int:
    """Return ``seed`` if it is a non-negative integer, else raise ConfigError."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(
            f"seed is {seed!r}; give an integer from 0 to {MAX_SEED}, such as seed=0."
        )
    return seed
