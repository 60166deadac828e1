"""Adapters: the only code that imports third-party I/O clients."""
