"""``osteoplan info / convert`` on damaged NIfTI and MetaImage files, as real subprocesses (no Qt).

DESIGN.md's command-line contract: exit code 2 and one line on stderr naming the file and the reason;
no SimpleITK text (its multi-line warnings, its C library's "** ERROR" lines, its internal paths).
A negative voxel size loads (exit 0) with the warning in the JSON and nothing on stderr.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.conftest import PROJECT_ROOT
from tests.imaging.nifti_files import ras_to_index_to_lps, write_nifti


@pytest.fixture(scope="session", autouse=True)
def _needs_display() -> None:
    """No display needed: these tests run the command line without Qt (overrides tests/app/conftest)."""


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _nifti(path: Path, **kwargs: object) -> np.ndarray:
    array = np.arange(6 * 7 * 8, dtype=np.int16).reshape(6, 7, 8) - 100
    return write_nifti(
        path, array, spacing_ijk_mm=(0.5, 0.7, 1.3), offset_ras_mm=(10.0, -20.0, 30.0), **kwargs
    )  # type: ignore[arg-type]


def _patch(path: Path, fmt: str, offset: int, value: float) -> None:
    raw = bytearray(path.read_bytes())
    struct.pack_into(f"<{fmt}", raw, offset, value)
    path.write_bytes(bytes(raw))


def _no_orientation(p: Path) -> None:
    _nifti(p, qform_code=0, sform_code=0)


def _data_short(p: Path) -> None:
    _nifti(p)
    p.write_bytes(p.read_bytes()[:-200])


def _pixdim_nan(p: Path) -> None:
    _nifti(p)
    _patch(p, "f", 80, float("nan"))


def _pixdim_zero(p: Path) -> None:
    _nifti(p)
    _patch(p, "f", 84, 0.0)


def _dim0_9(p: Path) -> None:
    _nifti(p)
    _patch(p, "h", 40, 9)


def _header_cut(p: Path) -> None:
    _nifti(p)
    p.write_bytes(p.read_bytes()[:200])


def _mha_short(p: Path) -> None:
    sitk.WriteImage(sitk.GetImageFromArray(np.zeros((6, 7, 8), np.int16)), str(p))
    p.write_bytes(p.read_bytes()[:-60])


@pytest.mark.parametrize(
    ("name", "make", "said", "command"),
    [
        ("o.nii", _no_orientation, "states no patient orientation", "info"),
        ("o.nii", _no_orientation, "states no patient orientation", "convert"),
        ("s.nii", _data_short, "cut short: it holds 472 of the 672 bytes of image data", "info"),
        ("s.nii", _data_short, "cut short: it holds 472 of the 672 bytes of image data", "convert"),
        ("n.nii", _pixdim_nan, "no usable voxel size along x", "info"),
        ("z.nii", _pixdim_zero, "no usable voxel size along y", "info"),
        ("d.nii", _dim0_9, "gives 9 dimensions", "info"),
        ("h.nii", _header_cut, "header is cut short", "info"),
        ("m.mha", _mha_short, "cut short: it holds 612 of the 672 bytes", "info"),
    ],
)
def test_damaged_file_refused_in_one_line(
    tmp_path: Path, name: str, make: object, said: str, command: str
) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    extra = ["--out", str(tmp_path / "out.nii.gz")] if command == "convert" else []
    proc = run_cli(command, str(path), "--json", *extra)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"osteoplan {command}: {path}: ") and said in lines[0]
    assert not (tmp_path / "out.nii.gz").exists()


def test_negative_voxel_size_loads_with_warning_and_quiet_stderr(tmp_path: Path) -> None:
    """SimpleITK printed a multi-line WARNING and flipped the axis; now the standard's grid and a warning."""
    path = tmp_path / "neg.nii"
    ras = _nifti(path, rotation="z180", qform_code=0)
    _patch(path, "f", 84, -0.7)
    proc = run_cli("info", str(path), "--json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    series = json.loads(proc.stdout)["series"][0]
    expected = ras_to_index_to_lps(ras)
    np.testing.assert_allclose(series["origin_lps"], expected[:3, 3], atol=1e-4)  # mm
    # direction columns: col (NIfTI i), row (j), slice (k) unit vectors in LPS
    np.testing.assert_allclose(
        np.asarray(series["direction"]), expected[:3, [2, 1, 0]] / [0.5, 0.7, 1.3], atol=1e-6
    )
    assert len(series["warnings"]) == 1 and "negative voxel size" in series["warnings"][0]
