"""``osteoplan info`` and ``osteoplan convert`` run as real subprocesses (no Qt): JSON alone on stdout,
exit codes 0 / 2, one-line reasons on stderr, and the converted file read back with SimpleITK.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.conftest import PROJECT_ROOT
from tests.phantoms.ct import CtPhantom, build_ct_phantom
from tests.phantoms.dicom_writer import write_dicom_series


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # as the console script does (``python -m app.cli`` would make app.cli.CommandError a second class)
        [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="session", autouse=True)
def _needs_display() -> None:
    """No display needed: these tests run the command line without Qt (overrides tests/app/conftest)."""


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CtPhantom]:
    folder = tmp_path_factory.mktemp("cli") / "ct"
    phantom = build_ct_phantom(seed=11)
    write_dicom_series(phantom.volume, folder, feet_first=True, drop_slices=[20], add_localizer=True)
    return folder, phantom


def test_info_json(series: tuple[Path, CtPhantom]) -> None:
    folder, phantom = series
    proc = run_cli("info", str(folder), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # the whole stdout is one JSON object
    assert len(out["series"]) == 1
    s = out["series"][0]
    assert s["shape"] == [40, 64, 64]
    np.testing.assert_allclose(s["spacing_mm"], phantom.volume.spacing_mm, atol=1e-6)
    # feet-first: first voxel is the phantom's last slice, column axis reversed (exact re-gridding)
    m = phantom.volume.index_to_lps
    expected_origin = m[:3, 3] + 39 * m[:3, 0] + 63 * m[:3, 2]
    np.testing.assert_allclose(s["origin_lps"], expected_origin, atol=1e-4)
    np.testing.assert_allclose(np.asarray(s["direction"]), np.diag([-1.0, 1.0, -1.0]), atol=1e-9)
    assert any("gap" in w for w in s["warnings"])
    assert any("localizer" in r for r in out["report"])


def test_info_names_the_interpolated_slice(series: tuple[Path, CtPhantom]) -> None:
    """The dropped slice (written slice 20 of the feet-first series): its volume index in the JSON, the
    axial view's number in the text."""
    folder, phantom = series
    out = json.loads(run_cli("info", str(folder), "--json").stdout)
    s = out["series"][0]
    # the writer re-grids feet first by reversing the phantom's slices: written slice 20 is phantom's 19
    dropped_lps = phantom.volume.index_to_lps_points(np.array([19.0, 0.0, 0.0]))
    slice_dir = np.asarray(s["direction"])[:, 2]
    index = float((dropped_lps - np.asarray(s["origin_lps"])) @ slice_dir / s["spacing_mm"][0])
    assert s["interpolated_slices"] == [round(index)] and abs(index - round(index)) < 1e-6
    # the text names it by the number the axial view shows: counted from the top, 1 + the slices above
    # it (feet first, the volume's first slice is its highest, so that is its index + 1 here)
    z_mm = np.asarray(s["origin_lps"])[2] + np.arange(40) * s["spacing_mm"][0] * slice_dir[2]
    shown = 1 + int(np.sum(z_mm > z_mm[round(index)] + 1e-3))
    text = run_cli("info", str(folder)).stdout
    assert f"interpolated, not measured: axial slice {shown}/40 in the views" in text


def test_info_text(series: tuple[Path, CtPhantom]) -> None:
    proc = run_cli("info", str(series[0]))
    assert proc.returncode == 0
    assert "shape [40, 64, 64]" in proc.stdout and "loadable" in proc.stdout


def test_convert_round_trip(series: tuple[Path, CtPhantom], tmp_path: Path) -> None:
    folder, _ = series
    out_file = tmp_path / "ct.nii.gz"
    proc = run_cli("convert", str(folder), "--out", str(out_file), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["out"] == str(out_file) and out["shape"] == [40, 64, 64]
    assert any("gap" in w for w in out["warnings"])
    image = sitk.ReadImage(str(out_file))
    arr = sitk.GetArrayFromImage(image)
    assert arr.dtype == np.int16 and arr.shape == (40, 64, 64)
    np.testing.assert_allclose(image.GetOrigin(), out["origin_lps"], atol=1e-4)
    np.testing.assert_allclose(image.GetSpacing(), out["spacing_mm"][::-1], atol=1e-5)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["info", "/nonexistent/folder"], "does not exist"),
        (["convert", "/nonexistent/folder", "--out", "x.nii.gz"], "does not exist"),
    ],
)
def test_bad_input_exit_2(args: list[str], reason: str) -> None:
    proc = run_cli(*args, "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert reason in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_convert_refusals_exit_2(tmp_path: Path) -> None:
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "a.txt").write_text("x")
    proc = run_cli("convert", str(tmp_path / "txt"), "--out", str(tmp_path / "o.nii.gz"), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "no DICOM image found" in proc.stderr
    phantom = build_ct_phantom(seed=2)
    write_dicom_series(phantom.volume, tmp_path / "mr", modality="MR")
    proc = run_cli("convert", str(tmp_path / "mr"), "--out", str(tmp_path / "o.nii.gz"), "--json")
    assert proc.returncode == 2 and "modality MR is not CT" in proc.stderr
    write_dicom_series(phantom.volume, tmp_path / "ok")
    proc = run_cli("convert", str(tmp_path / "ok"), "--out", str(tmp_path / "o.png"), "--json")
    assert proc.returncode == 2 and ".nii.gz" in proc.stderr
    # an output folder that does not exist is refused, not made (QA: it was created silently), and one
    # that cannot be written is refused in one line, not with the image writer's own messages
    missing = tmp_path / "no_such_folder" / "o.nii.gz"
    proc = run_cli("convert", str(tmp_path / "ok"), "--out", str(missing), "--json")
    assert proc.returncode == 2 and "does not exist" in proc.stderr and not missing.parent.exists()
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        proc = run_cli("convert", str(tmp_path / "ok"), "--out", str(locked / "o.nii.gz"), "--json")
        if os.access(locked, os.W_OK):  # running as root: permissions do not stop the write
            assert proc.returncode == 0
        else:
            assert proc.returncode == 2 and "cannot write" in proc.stderr
            assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    finally:
        locked.chmod(0o700)


# -- damaged input (QA: a cut-short slice refused its series; a cut deflated file was an internal error) --

DEFLATE_FILE = "CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm"


@pytest.mark.realdata
def test_info_truncated_deflated_file_exit_2_naming_it(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / "dicom-edge-cases" / "transfer-syntaxes" / DEFLATE_FILE).read_bytes()
    cut = tmp_path / "deflated_cut.dcm"
    cut.write_bytes(data[: len(data) * 2 // 3])
    proc = run_cli("info", str(cut), "--json")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0]
    assert "deflated_cut.dcm" in lines[0] and "deflate" in lines[0].split("deflated_cut.dcm")[-1]


def test_info_series_with_a_truncated_slice_loads_without_it(tmp_path: Path) -> None:
    phantom = build_ct_phantom(shape=(10, 32, 32), seed=4)
    w = write_dicom_series(phantom.volume, tmp_path / "ct")
    data = w.paths[4].read_bytes()
    w.paths[4].write_bytes(data[: len(data) // 2])
    proc = run_cli("info", str(tmp_path / "ct"), "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)["series"][0]
    assert s["loadable"] is True and s["n_files"] == 9 and s["shape"] == [10, 32, 32]
    np.testing.assert_allclose(s["spacing_mm"], phantom.volume.spacing_mm, atol=1e-6)
    assert any(w.paths[4].name in line and "truncated" in line for line in s["warnings"])


def test_info_single_slice_states_unknown_spacing(tmp_path: Path) -> None:
    phantom = build_ct_phantom(shape=(10, 32, 32), seed=4)
    w = write_dicom_series(phantom.volume, tmp_path / "one", drop_slices=range(1, 10))
    proc = run_cli("info", str(w.paths[0]), "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)["series"][0]
    assert s["loadable"] is False and s["shape"] == [1, 32, 32]
    assert s["spacing_mm"][0] is None  # unknown, not a 0 a script would take as real
    np.testing.assert_allclose(s["spacing_mm"][1:], phantom.volume.spacing_mm[1:], atol=1e-6)
    np.testing.assert_allclose(s["origin_lps"], w.slice_positions_lps[0], atol=1e-4)
    assert any("slice spacing is unknown" in line for line in s["warnings"])
    text = run_cli("info", str(w.paths[0])).stdout
    assert "spacing unknown x" in text
