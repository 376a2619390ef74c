"""Vocabularies for literal columns: files shipped with fakegen, or a Faker provider."""

from __future__ import annotations

import csv
import functools
import importlib
from importlib import resources

from fakegen.errors import ConfigError

#: Shipped vocabularies: name to (file, column of that file).
SHIPPED = {
    "cities": ("cities.csv", "city"),
    "countries": ("cities.csv", "country"),
    "job_titles": ("job_titles.txt", None),
    "product_categories": ("product_categories.txt", None),
}
#: Distinct values drawn from a Faker provider before giving up on reaching ``size``.
MAX_PROVIDER_CALLS = 50


@functools.cache
def _read_rows(filename: str) -> tuple[dict[str, str], ...] | tuple[str, ...]:
    text = (
        resources.files("fakegen.vocabularies")
        .joinpath(filename)
        .read_text(encoding="utf-8")
    )
    if filename.endswith(".csv"):
        return tuple(csv.DictReader(text.splitlines()))
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def load_vocabulary(name: str, *, key: str) -> list[str]:
    """Return the distinct values of shipped vocabulary ``name``, in file order."""
    if name not in SHIPPED:
        raise ConfigError(
            f"{key} is {name!r}; the shipped vocabularies are "
            f"{', '.join(SHIPPED)}. For another list give values: [...] instead."
        )
    filename, field = SHIPPED[name]
    rows = _read_rows(filename)
    values = [row[field] for row in rows] if field else list(rows)
    return list(dict.fromkeys(values))


def city_countries() -> dict[str, str]:
    """Return the shipped mapping of each city to its country."""
    return {row["city"]: row["country"] for row in _read_rows("cities.csv")}


def provider_vocabulary(provider: str, size: int, *, key: str) -> list[str]:
    """Draw ``size`` distinct values once from Faker provider ``provider``.

    Faker is seeded with 0, so the vocabulary is the same on every run; the
    table generator then draws from it vectorised like from any literal list.
    """
    try:
        faker_module = importlib.import_module("faker")
    except ImportError as exc:
        raise ConfigError(
            f"{key} is {provider!r}, a Faker provider, but Faker is not "
            "installed. Install it with pip install 'fakegen[bench]' or use a "
            "shipped vocabulary."
        ) from exc
    fake = faker_module.Faker()
    fake.seed_instance(0)
    method = getattr(fake, provider, None)
    if not isinstance(provider, str) or provider.startswith("_") or method is None:
        raise ConfigError(
            f"{key} is {provider!r}, which is not a Faker provider method; use "
            "one such as job, city or company."
        )
    values: dict[str, None] = {}
    for _ in range(size * MAX_PROVIDER_CALLS):
        values[str(method())] = None
        if len(values) == size:
            return list(values)
    raise ConfigError(
        f"{key} is {provider!r}, which gave only {len(values)} distinct values "
        f"for size {size}; lower the size."
    )
