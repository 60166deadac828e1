"""`clipcast serve` as a child process: the package's own runner, shared with bench/."""

from clipcast.devserver import free_port, running_server

__all__ = ["free_port", "running_server"]
