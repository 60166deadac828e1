"""Fixtures of the studio tests: activity's people and hand-driven bus."""

from tests.integration.activity.conftest import bus, owner, viewer

__all__ = ["bus", "owner", "viewer"]
