"""docs/operations.md tells an operator what each process needs and exposes (issue 9, item 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipcast.runtime import Role
from clipcast.settings import Settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "operations.md"
# The settings each process of a scaled deployment sets for itself.
PER_PROCESS = ["data_dir", "search_dir", "node", "metrics_port", "metrics_host"]


@pytest.mark.parametrize("field", [*PER_PROCESS, "job_lease_seconds"])
def test_each_per_process_setting_is_documented(field: str) -> None:
    assert field in Settings.model_fields
    assert f"CLIPCAST_{field.upper()}" in DOC.read_text()


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ALL])
def test_each_worker_role_is_documented(role: Role) -> None:
    assert f"--role {role}" in DOC.read_text()


def test_what_each_process_exposes_is_listed() -> None:
    text = DOC.read_text()
    table = text[text.index("### What each process exposes") :]
    for process in ("`clipcast serve`", "`clipcast api`", "`clipcast worker"):
        assert process in table
    for served in ("/healthz", "/readyz", "/metrics", "CLIPCAST_METRICS_PORT"):
        assert served in table
