"""Reaching the real servers tests use; in CI an unreachable one fails the test, never skips."""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432
POSTGRES_ADMIN_URL = f"postgresql+asyncpg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/postgres"


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(ok: bool, what: str) -> None:
    """Skip loudly on a developer's machine without the server; fail in CI."""
    if ok:
        return
    if in_ci():
        pytest.fail(f"{what} is required in CI and could not be reached")
    pytest.skip(f"{what} not reachable")
