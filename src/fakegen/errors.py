"""Exceptions raised for bad input: configs, data files and constraint sets."""


class FakegenError(Exception):
    """Base class of every error fakegen raises for input the user can fix."""


class ConfigError(FakegenError, ValueError):
    """A config value is missing, out of range or of the wrong type."""


class ExpressionError(ConfigError):
    """An expression in the config does not parse or names an unknown column."""


class DataFileError(FakegenError, ValueError):
    """A data file is missing, unreadable or lacks a required column."""


class InfeasibleError(FakegenError, ValueError):
    """No row, or too few rows, can satisfy the declared constraint set."""
