"""Fixtures for API tests: a tiny source video made once per session (the users are in
tests/integration/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import auth
from tests.media import make_video

__all__ = ["auth", "small_video"]  # auth: many tests import it from here


@pytest.fixture(scope="session")
def small_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(
        tmp_path_factory.mktemp("media") / "small.mp4", seconds=3, size="426x240", fps=25
    )
