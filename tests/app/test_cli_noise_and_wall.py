"""The command line on noisy images and near metal (QA session 17 items 3 and 5, verified in session 17 V).

- ``osteoplan segment`` on bone-lesions case1 with the QA's 60 HU noise: the refusal (exit 2, one line on
  stderr) says the image is noisy and that the noise can decide it; with another draw of the noise the
  lesion found carries the noise's warning in a new ``warnings`` list (DESIGN.md's keys unchanged).
- ``osteoplan anatomy``: ``posterior_wall.intact`` gets ``uncertain`` and ``uncertain_reason`` beside it
  (the abdomen CT's L3 with 60 HU noise: uncertain, the noise named; as scanned: not uncertain).
- ``vertebral_body.volume_ml`` is the body label's volume on the CT's grid, the figure the Vertebrae dock
  shows: before, the search's 1 mm figure (abdomen L3: 41.41 mL against its label's 41.72 mL).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from app.cli import main
from imaging.image_files import read_image
from imaging.lesion_model import NOISE_NOTE
from imaging.load import save_volume
from tests.noisy_cases import qa_noisy_abdomen, qa_noisy_case1, with_noise

#: case1's lesion seed (lesion-boxes.csv box centre) and the abdomen CT's L3 click of the QA (LPS mm)
CASE1_SEED = "24.45474,169.87754,-547.53988"
ABDOMEN_L3 = "4.9,-141.3,315.7"
#: DESIGN.md's keys of ``osteoplan segment``'s lesion
SEGMENT_KEYS = {
    "type",
    "volume_ml",
    "max_diameter_mm",
    "mean_hu",
    "centroid_lps",
    "bbox_lps",
    "reference_bone_hu",
}


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.realdata
def test_segment_on_noisy_case1_names_the_noise(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case1 = read_image(shared_data / "bone-lesions" / "case1.nii.gz")
    qa = tmp_path / "c1_noise60.nii.gz"
    save_volume(qa_noisy_case1(shared_data), qa)
    code, out, err = _run(["segment", str(qa), "--seed", CASE1_SEED, "--json"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("osteoplan segment: the seed (316 HU)")
    assert f"{NOISE_NOTE} (noise about 6" in err and "the noise can decide this refusal" in err
    assert "--reference-hu" in err

    other = tmp_path / "c1_noise60_other.nii.gz"
    save_volume(with_noise(case1, np.random.default_rng(17), 60.0), other)
    code, out, err = _run(["segment", str(other), "--seed", CASE1_SEED, "--json"], capsys)
    assert code == 0
    lesion = json.loads(out)["lesion"]
    assert set(lesion) >= SEGMENT_KEYS
    said = [w for w in lesion["warnings"] if w.startswith(NOISE_NOTE)]
    assert len(said) == 1 and "its outline and volume are uncertain" in said[0]
    code, out, err = _run(["segment", str(other), "--seed", CASE1_SEED], capsys)
    assert code == 0 and f"  warning: {said[0]}" in out.splitlines()

    clean = shared_data / "bone-lesions" / "case1.nii.gz"
    code, out, err = _run(["segment", str(clean), "--seed", CASE1_SEED, "--json"], capsys)
    # no noise note on the clean image (since session 20 its plate is kept whole, 0.26 mL, and reaches
    # the growth limit along the plate: that note is the only one)
    warnings = json.loads(out)["lesion"]["warnings"]
    assert code == 0 and not [w for w in warnings if w.startswith(NOISE_NOTE)]
    assert len(warnings) == 1 and "growth limit" in warnings[0], warnings


@pytest.mark.realdata
def test_anatomy_wall_uncertainty_and_body_volume(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ct = shared_data / "abdomen-pelvis-ct" / "ct.nii.gz"
    out_labels = tmp_path / "l3.nii.gz"
    code, out, _ = _run(
        ["anatomy", str(ct), "--vertebra", ABDOMEN_L3, "--json", "--out", str(out_labels)], capsys
    )
    assert code == 0
    js = json.loads(out)
    wall = js["posterior_wall"]
    assert {"points_lps", "intact", "defects"} <= set(wall)
    assert wall["uncertain"] is False and wall["uncertain_reason"] is None
    # the body's volume is its label's on the CT's grid (what the window shows), to the JSON's rounding
    image = sitk.ReadImage(str(out_labels))
    voxel_ml = float(np.prod(image.GetSpacing())) / 1000.0
    label_ml = float(np.count_nonzero(sitk.GetArrayFromImage(image) == 1)) * voxel_ml
    assert js["vertebral_body"]["volume_ml"] == pytest.approx(label_ml, abs=0.0005)

    # the QA's noisy abdomen
    noisy = tmp_path / "abd_noise60.nii.gz"
    save_volume(qa_noisy_abdomen(shared_data), noisy)
    code, out, _ = _run(["anatomy", str(noisy), "--vertebra", ABDOMEN_L3, "--json"], capsys)
    assert code == 0
    wall = json.loads(out)["posterior_wall"]
    assert isinstance(wall["intact"], bool)
    assert wall["uncertain"] is True
    assert wall["uncertain_reason"].startswith("the image is noisy: noise reads as gaps in the wall")
