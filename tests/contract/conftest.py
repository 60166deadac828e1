"""Servers the contract suites run their adapters against."""

from __future__ import annotations

# The SeaweedFS server is one per test session, defined in tests/conftest.py.
