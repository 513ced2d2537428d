"""Shared pytest fixtures: the real data folder beside the project, temporary output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """``../shared/data`` beside the project (or ``$OSTEOPLAN_SHARED_DATA``), None when absent."""
    env = os.environ.get("OSTEOPLAN_SHARED_DATA")
    candidate = Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real CT data folder; skips the test with a reason when it is absent (a fresh clone)."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (fresh clone without the shared real-data folder)")
    return path
