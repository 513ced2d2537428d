"""Shared pytest fixtures: the real data folder beside the project, and the real chest CT read once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from imaging.volume import Volume

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """``../shared/data`` beside the project (or ``$OSTEOPLAN_SHARED_DATA``), None when absent."""
    env = os.environ.get("OSTEOPLAN_SHARED_DATA")
    candidate = Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own OsteoPlan data folder (autosaves, device files, recovery): a GUI test that
    ran past the autosave timer would otherwise write into the user's real folder, and one test's
    leftover autosave would be offered as a crash to the next. Tests that set the variable themselves
    override this one."""
    monkeypatch.setenv("OSTEOPLAN_DATA_DIR", str(tmp_path_factory.mktemp("osteoplan-data")))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real CT data folder; skips the test with a reason when it is absent (a fresh clone)."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (fresh clone without the shared real-data folder)")
    return path


@pytest.fixture(scope="session")
def chest_ct(shared_data: Path) -> Volume:
    """The real chest CT (chest-ct-dicom), read once for the whole run.

    Its voxels are made read-only: the tests share one volume, so one that wrote into it would change
    what the others see; numpy raises instead.
    """
    from imaging.load import load_volume

    volume = load_volume(shared_data / "chest-ct-dicom").volume
    volume.array.flags.writeable = False
    return volume
