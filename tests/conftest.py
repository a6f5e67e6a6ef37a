"""Shared test setup: every test gets its own workspace folder, never the user's."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _isolated_workspace(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("workspace")
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(folder))
    monkeypatch.setenv("ECOM_WORKSPACE", "test")
    monkeypatch.setenv("ECOM_RUNS_INLINE", "1")  # AppTest draws pages finished; see ecom_models/runs.py
    monkeypatch.chdir(ROOT)
    yield folder


@pytest.fixture
def fixtures_dir() -> Path:
    return ROOT / "tests" / "fixtures"
