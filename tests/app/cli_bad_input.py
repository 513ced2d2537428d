"""Shared by the command-line bad-input tests (tests/app/test_cli_bad_input_s31.py, _s32.py): the vertebra
phantom with a plan spec that works on it, and the check that a command was refused on one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.cli import EXIT_BAD_INPUT, main
from imaging.load import save_volume
from tests.phantoms.vertebra import make_vertebra_phantom


def write_vertebra_ct(folder: Path) -> tuple[Path, dict[str, Any]]:
    """The vertebra phantom (lytic lesion in its body) as NIfTI in ``folder``, and a plan spec that works
    on it."""
    phantom = make_vertebra_phantom(lesion=(0.0, 4.0, 0.0, 7.0))
    path = folder / "vertebra.nii.gz"
    save_volume(phantom.volume, path)
    spec = {
        "targets": [
            {
                "name": "L3",
                "lesion_seed_lps": [float(v) for v in phantom.lesion_center_lps],
                "vertebra_lps": [float(v) for v in phantom.center_lps],
            }
        ],
        "trajectories": [{"target": "L3", "approach": "transpedicular-left"}],
        "needle": {"gauge": 13, "antenna_extension_mm": 15},
        "ablation": {"width_mm": 35, "length_mm": 37, "center_behind_tip_mm": 11.5},
        "positions_per_trajectory": 1,
        "margin_mm": 2,
    }
    return path, spec


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command line; assert exit 2, nothing on stdout and one line on stderr; return that line."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "internal error" not in lines[0]
    return lines[0]
