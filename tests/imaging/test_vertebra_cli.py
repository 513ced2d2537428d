"""``osteoplan anatomy`` on a phantom written as NIfTI: JSON values, the label file, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from app.cli import main
from imaging.load import save_volume
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom
from tests.phantoms.vertebra_grid import GridOrientation


@pytest.fixture(scope="module")
def phantom_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, VertebraPhantom]:
    # the made defect lies 6 mm left of the midline: a 6 mm hole at the midline at mid-height is the size
    # and place of a normal basivertebral foramen (imaging.vertebra_wall), reported as such, not as a gap
    phantom = make_vertebra_phantom(orientation=GridOrientation.FFS, wall_defect=(6.0, 1.0, 6.0), seed=21)
    path = tmp_path_factory.mktemp("anatomy") / "vertebra.nii.gz"
    save_volume(phantom.volume, path)
    return path, phantom


def _point(p: np.ndarray) -> str:
    return ",".join(f"{v:.2f}" for v in p)


def test_json_and_labels(
    phantom_file: tuple[Path, VertebraPhantom], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, phantom = phantom_file
    out = tmp_path / "labels.nii.gz"
    code = main(
        [
            "anatomy",
            str(path),
            "--vertebra",
            _point(phantom.center_lps),
            "--level",
            "l2",
            "--out",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    js = json.loads(capsys.readouterr().out)
    assert js["level"] == "L2"
    assert js["vertebral_body"]["volume_ml"] == pytest.approx(phantom.body_volume_ml, rel=0.12)
    canal = np.array(js["spinal_canal"]["centroid_lps"])
    assert np.linalg.norm(canal - phantom.canal_centroid_lps) <= 2.0
    assert js["posterior_wall"]["intact"] is False
    defect = np.array(js["posterior_wall"]["defects"][0]["center_lps"])
    assert np.linalg.norm(defect - phantom.wall_defect_center_lps) <= 3.0
    for side in ("left", "right"):
        assert abs(js["pedicles"][side]["min_width_mm"] - 8.0) <= 1.0
    # the label file lies on the CT's grid (FFS: RPI), body label where the phantom's body is
    image = sitk.ReadImage(str(out))
    ct = sitk.ReadImage(str(path))
    assert image.GetSize() == ct.GetSize()
    assert np.allclose(image.GetDirection(), ct.GetDirection())
    labels = sitk.GetArrayFromImage(image)
    body = labels == 1
    truth = phantom.body_mask
    assert 2 * (body & truth).sum() / (body.sum() + truth.sum()) >= 0.85
    assert set(np.unique(labels)) >= {0, 1, 2, 4, 5}
    # the posterior wall (a band inside the body) is in the bands file beside it
    bands = sitk.GetArrayFromImage(sitk.ReadImage(js["out_bands"]))
    assert set(np.unique(bands)) >= {0, 3}


def test_human_output(phantom_file: tuple[Path, VertebraPhantom], capsys: pytest.CaptureFixture[str]) -> None:
    path, phantom = phantom_file
    assert main(["anatomy", str(path), f"--vertebra={_point(phantom.center_lps)}"]) == 0
    text = capsys.readouterr().out
    assert "left pedicle: narrowest" in text and "posterior wall: 1 gap" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vertebra", "500,0,0"], "outside the volume"),
        (["--vertebra", "1,2"], "three"),
        (["--vertebra", "0,0,0", "--level", "Q1"], "level"),
        (["--vertebra", "0,0,0", "--out", "labels.png"], "--out"),
    ],
)
def test_refusals_exit_2(
    phantom_file: tuple[Path, VertebraPhantom],
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, _ = phantom_file
    assert main(["anatomy", str(path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_level_suggestion_key(
    phantom_file: tuple[Path, VertebraPhantom], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``level_suggestion``: T12 on the lowest rib-bearing vertebra of the spine phantom (warning when
    --level says otherwise), null on a lumbar one and on the lone vertebra (its ribs cannot be seen)."""
    from tests.phantoms.rib_spine import make_rib_spine_phantom

    spine = make_rib_spine_phantom(seed=11)
    path = tmp_path / "spine.nii.gz"
    save_volume(spine.volume, path)
    assert (
        main(["anatomy", str(path), "--vertebra", _point(spine.center("T12")), "--level", "L1", "--json"])
        == 0
    )
    js = json.loads(capsys.readouterr().out)
    assert js["level"] == "L1"  # the operator's level is kept
    suggestion = js["level_suggestion"]
    assert suggestion["level"] == "T12" and "lowest vertebra with ribs" in suggestion["reason"]
    assert any("transitional" in w for w in suggestion["warnings"])
    assert main(["anatomy", str(path), "--vertebra", _point(spine.center("L2")), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["level_suggestion"] is None
    lone, phantom = phantom_file
    assert main(["anatomy", str(lone), "--vertebra", _point(phantom.center_lps), "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["level_suggestion"] is None and "vertebral_body" in js
    assert main(["anatomy", str(path), "--vertebra", _point(spine.center("T12"))]) == 0
    assert "suggested level T12 (lowest vertebra with ribs (left and right))" in capsys.readouterr().out
    # the sacrum is refused (no vertebral body with its canal), and the refusal carries the S1 suggestion
    assert main(["anatomy", str(path), "--vertebra", _point(spine.center("S1")), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "no vertebra" in err and "anatomy suggests S1" in err, err
