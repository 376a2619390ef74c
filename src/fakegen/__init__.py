"""Generate constrained tables and verify which constraints a model learned."""

__version__ = "0.1.0"
