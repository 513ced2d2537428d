"""``osteoplan anatomy``'s contract (DESIGN.md "Command line"), on phantoms written as NIfTI.

- ``pedicles`` always has ``left`` and ``right``: a pedicle not traced is null, its reason in
  ``pedicles_not_traced`` (the vertebra phantom with its left pedicle erased to soft tissue).
- A refused click prints only its one-line reason on stderr (a click on the rib spine phantom's rib,
  where every ray of the body search ends at once: this printed numpy RuntimeWarnings before the
  reason). Run as a separate process, as a script runs it, so Python's own warning output is seen.
- The ``--out`` files hold what the JSON reports: the body label's volume is ``volume_ml`` within
  0.1 %, the canal label's centroid ``spinal_canal.centroid_lps`` within 0.5 mm, and the wall and
  endplates (bands inside the body) are in the bands file without taking voxels from the body.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import SimpleITK as sitk

from app.cli import Context, build_parser, main
from imaging.load import save_volume
from imaging.vertebra_model import Side
from tests.phantoms.rib_spine import RIB_PATH_MM, make_rib_spine_phantom
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom

REPO = Path(__file__).resolve().parents[2]
#: the phantom's grid is 1 mm, as the anatomy search's own: the label files hold the searched masks
#: voxel for voxel, so the only slack is rounding (the JSON's volume has 3 decimals, 0.001 mL)
MAX_VOLUME_REL = 0.001
MAX_CENTROID_MM = 0.5
#: soft tissue (HU) painted over the erased pedicle
SOFT_TISSUE_HU = 40.0


@pytest.fixture(scope="module")
def phantom_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, VertebraPhantom]:
    phantom = make_vertebra_phantom(seed=5)
    path = tmp_path_factory.mktemp("anatomy_contract") / "vertebra.nii.gz"
    save_volume(phantom.volume, path)
    return path, phantom


def _point(p: npt.ArrayLike) -> str:
    return ",".join(f"{v:.2f}" for v in np.asarray(p, dtype=np.float64))


def _lps_of(image: sitk.Image, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """LPS mm of the voxels of a mask on a SimpleITK array (indexed z, y, x)."""
    idx_xyz = np.argwhere(mask)[:, ::-1].astype(np.float64)
    direction = np.array(image.GetDirection()).reshape(3, 3)
    out: npt.NDArray[np.float64] = (
        np.array(image.GetOrigin()) + (idx_xyz * np.array(image.GetSpacing())) @ direction.T
    )
    return out


def test_label_files_hold_the_json_figures(
    phantom_file: tuple[Path, VertebraPhantom], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, phantom = phantom_file
    out = tmp_path / "labels.nii.gz"
    args = ["anatomy", str(path), "--vertebra", _point(phantom.center_lps), "--out", str(out), "--json"]
    assert main(args) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["pedicles_not_traced"] == {}
    assert js["out_bands"] == str(tmp_path / "labels_bands.nii.gz")
    assert js["labels"] == {
        "1": "vertebral_body",
        "2": "spinal_canal",
        "4": "left_pedicle",
        "5": "right_pedicle",
    }
    assert js["band_labels"] == {"3": "posterior_wall", "6": "superior_endplate", "7": "inferior_endplate"}
    image = sitk.ReadImage(str(out))
    labels = sitk.GetArrayFromImage(image)
    bands_image = sitk.ReadImage(js["out_bands"])
    bands = sitk.GetArrayFromImage(bands_image)
    assert bands_image.GetSize() == image.GetSize()
    assert np.allclose(bands_image.GetDirection(), image.GetDirection())
    assert set(np.unique(labels).tolist()) == {0, 1, 2, 4, 5}
    assert set(np.unique(bands).tolist()) == {0, 3, 6, 7}
    voxel_ml = float(np.prod(image.GetSpacing())) / 1000.0
    body = labels == 1
    body_ml = js["vertebral_body"]["volume_ml"]
    assert abs(body.sum() * voxel_ml - body_ml) <= MAX_VOLUME_REL * body_ml
    canal = _lps_of(image, labels == 2).mean(axis=0)
    assert np.linalg.norm(canal - np.array(js["spinal_canal"]["centroid_lps"])) <= MAX_CENTROID_MM
    # the bands lie inside the body, and the body label keeps them: before, they overwrote it
    for value in (3, 6, 7):
        band = bands == value
        assert band.any()
        assert (band & body).sum() >= 0.95 * band.sum(), value
    idx = image.TransformPhysicalPointToIndex(tuple(float(v) for v in phantom.superior_endplate_center_lps))
    assert bands[idx[2], idx[1], idx[0]] == 6 and labels[idx[2], idx[1], idx[0]] == 1


def test_untraced_pedicle_is_null_with_its_reason(
    phantom_file: tuple[Path, VertebraPhantom], tmp_path: Path
) -> None:
    _path, phantom = phantom_file
    hu = phantom.volume.array.copy()
    hu[phantom.pedicles[Side.LEFT].mask] = SOFT_TISSUE_HU
    path = tmp_path / "no_left_pedicle.nii.gz"
    save_volume(phantom.volume.with_array(hu), path)
    # one search gives both outputs: the JSON as --json prints it, and the text without --json
    parser, modules = build_parser()
    result = modules["anatomy"].run(
        parser.parse_args(["anatomy", str(path), "--vertebra", _point(phantom.center_lps)]), Context()
    )
    text = result.pop("_text")
    js = json.loads(json.dumps(result))
    assert set(js["pedicles"]) == {"left", "right"}
    assert js["pedicles"]["left"] is None
    right = js["pedicles"]["right"]
    assert set(right) >= {"axis_entry_lps", "axis_target_lps", "min_width_mm"}
    assert abs(right["min_width_mm"] - phantom.pedicles[Side.RIGHT].min_width_mm) <= 1.0
    assert set(js["pedicles_not_traced"]) == {"left"}
    assert js["pedicles_not_traced"]["left"].strip()
    assert f"left pedicle: not traced - {js['pedicles_not_traced']['left']}" in text


def test_refusal_on_a_rib_prints_only_its_reason(tmp_path: Path) -> None:
    spine = make_rib_spine_phantom(seed=11)
    path = tmp_path / "spine.nii.gz"
    save_volume(spine.volume, path)
    # on the rib's far arc, 115 mm left of the T12 body's centre: solid bone under the click
    rib = spine.center("T12") + np.array(RIB_PATH_MM[4])
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "default"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "anatomy", str(path), f"--vertebra={_point(rib)}", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("osteoplan anatomy: no vertebra at LPS")
