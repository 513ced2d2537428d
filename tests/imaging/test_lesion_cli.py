"""``osteoplan segment`` end to end on a phantom written as NIfTI (LPS kept through the file edge)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from imaging.image_files import read_image
from imaging.load import save_volume
from tests.phantoms.lesion import LesionPhantom, PhantomLesion, dice, lesion_phantom


@pytest.fixture(scope="module")
def phantom_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LesionPhantom]:
    ph = lesion_phantom(PhantomLesion.LYTIC_SPHERE, spacing_mm=(2.0, 0.8, 0.8))
    path = tmp_path_factory.mktemp("segment") / "phantom.nii.gz"
    save_volume(ph.volume, path)
    return path, ph


def test_segment_json_and_mask(
    phantom_file: tuple[Path, LesionPhantom], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, ph = phantom_file
    out = tmp_path / "lesion.nii.gz"
    seed = ",".join(f"{v:g}" for v in ph.seed_lps)
    code = main(["segment", str(path), "--seed", seed, "--json", "--out", str(out)])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    lesion = result["lesion"]
    assert lesion["type"] == "lytic"
    assert lesion["volume_ml"] == pytest.approx(ph.truth_volume_ml, rel=0.05)
    assert np.allclose(lesion["centroid_lps"], ph.seed_lps, atol=0.5)
    labels = read_image(out)  # a mask: the CT loader refuses label maps (imaging.label_map)
    assert labels.shape == ph.volume.shape
    assert np.allclose(labels.index_to_lps, ph.volume.index_to_lps, atol=1e-4)
    assert set(np.unique(labels.array).tolist()) <= {0, 1}
    assert dice(labels.array > 0, ph.truth) >= 0.9


def test_negative_seed_coordinates_are_values(
    phantom_file: tuple[Path, LesionPhantom], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = phantom_file
    # the fat sleeve at x = -20 mm: read as a seed (not an option), refused as fat
    code = main(["segment", str(path), "--seed", "-20,-0.5,-1", "--json"])
    assert code == 2
    err = capsys.readouterr().err
    assert "air or fat" in err and err[-1] == "\n" and err.count("\n") == 1


def test_seed_outside_and_malformed_exit_2(
    phantom_file: tuple[Path, LesionPhantom], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = phantom_file
    assert main(["segment", str(path), "--seed", "0,0,900"]) == 2
    assert "outside the volume" in capsys.readouterr().err
    assert main(["segment", str(path), "--seed", "1,2"]) == 2
    assert "three" in capsys.readouterr().err
    assert main(["segment", str(path), "--seed", "0,0,0", "--out", str(path.with_suffix(".txt"))]) == 2
    assert "--out" in capsys.readouterr().err


def test_normal_bone_seed_is_refused_with_the_reference_hint(
    phantom_file: tuple[Path, LesionPhantom], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = phantom_file
    # normal trabecular bone 11 mm from the axis (marrow radius 14 mm), 10.8 mm outside the 8 mm lytic ball
    normal = "-10,5,-10"
    assert main(["segment", str(path), "--seed", normal]) == 2
    err = capsys.readouterr().err
    assert "normal bone" in err and "--reference-hu" in err and err.count("\n") == 1
    # with the reference given the hint is not repeated (here: the seed is within 88 HU of it)
    assert main(["segment", str(path), "--seed", normal, "--reference-hu", "200"]) == 2
    err = capsys.readouterr().err
    assert "normal bone" in err and "--reference-hu" not in err
    # a seed in fat gets no such hint: a reference would not make it a bone lesion
    assert main(["segment", str(path), "--seed", "-20,-0.5,-1"]) == 2
    assert "--reference-hu" not in capsys.readouterr().err


def test_box_keeps_the_lesion_inside_it(
    phantom_file: tuple[Path, LesionPhantom], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # QA s20 F4: the window's box could not be given on the command line. Here a box that takes the
    # lytic ball's half at x >= seed x - 2 mm (corners given max first: any two opposite corners do)
    path, ph = phantom_file
    sx, sy, sz = ph.seed_lps
    seed = ",".join(f"{v:g}" for v in ph.seed_lps)
    box = f"{sx + 30:g},{sy + 30:g},{sz + 30:g},{sx - 2:g},{sy - 30:g},{sz - 30:g}"
    out = tmp_path / "boxed.nii.gz"
    assert main(["segment", str(path), "--seed", seed, "--box", box, "--json", "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["box_lps"] == [[sx - 2, sy - 30, sz - 30], [sx + 30, sy + 30, sz + 30]]
    labels = read_image(out)  # a mask: the CT loader refuses label maps (imaging.label_map)
    idx = np.argwhere(labels.array > 0)
    xs = labels.index_to_lps_points(idx.astype(np.float64))[:, 0]
    assert xs.min() >= sx - 2 - 1e-6
    # the truth's part inside the box, within the 5 % the whole ball is held to
    truth_idx = np.argwhere(ph.truth)
    inside = ph.volume.index_to_lps_points(truth_idx.astype(np.float64))[:, 0] >= sx - 2
    truth_ml = inside.sum() * ph.volume.voxel_volume_ml
    assert result["lesion"]["volume_ml"] == pytest.approx(truth_ml, rel=0.05)
    assert result["lesion"]["volume_ml"] < 0.7 * ph.truth_volume_ml


@pytest.mark.parametrize(
    ("box", "says"),
    [
        ("0,0,0,1,1", "X1,Y1,Z1,X2,Y2,Z2"),
        ("-5,-5,-5,5,5,-5", "flat"),
        ("50,50,50,60,60,60", "outside the box"),
    ],
)
def test_a_bad_box_is_refused_with_its_reason(
    phantom_file: tuple[Path, LesionPhantom], box: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path, ph = phantom_file
    seed = ",".join(f"{v:g}" for v in ph.seed_lps)
    assert main(["segment", str(path), "--seed", seed, "--box", box]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
