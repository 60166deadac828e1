"""clipcast: a self-hostable video platform."""

__version__ = "0.1.0"
