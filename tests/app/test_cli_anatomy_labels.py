"""``osteoplan anatomy --json --out``: the legends of both label files in the JSON; a folder of NIfTI
files: what to do.

The vertebra phantom (tests/phantoms/vertebra.py) written as NIfTI, run through the command line in
process (no Qt).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from app.cli import main
from imaging.load import save_volume
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom

DESIGN_KEYS = {"vertebral_body", "spinal_canal", "posterior_wall", "pedicles", "level"}


@pytest.fixture(scope="module")
def phantom_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, VertebraPhantom]:
    phantom = make_vertebra_phantom(seed=5)
    folder = tmp_path_factory.mktemp("nifti_only")
    path = folder / "vertebra.nii.gz"
    save_volume(phantom.volume, path)
    return path, phantom


def _point(p: np.ndarray) -> str:
    return ",".join(f"{v:.2f}" for v in p)


def test_json_out_carries_the_label_legend(
    phantom_file: tuple[Path, VertebraPhantom], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, phantom = phantom_file
    out = tmp_path / "labels.nii.gz"
    assert (
        main(["anatomy", str(path), "--vertebra", _point(phantom.center_lps), "--out", str(out), "--json"])
        == 0
    )
    js = json.loads(capsys.readouterr().out)
    assert set(js) >= DESIGN_KEYS
    legend = js["labels"]
    assert legend == {"1": "vertebral_body", "2": "spinal_canal", "4": "left_pedicle", "5": "right_pedicle"}
    # the bands inside the body are in a second file beside it, with its own legend (values unique over both)
    assert js["out_bands"] == str(tmp_path / "labels_bands.nii.gz")
    band_legend = js["band_labels"]
    assert band_legend == {"3": "posterior_wall", "6": "superior_endplate", "7": "inferior_endplate"}
    # each legend names what its file holds: the label at the body's centre and the canal's centroid,
    # and the band at the superior endplate's centre
    image = sitk.ReadImage(str(out))
    labels = sitk.GetArrayFromImage(image)
    bands = sitk.GetArrayFromImage(sitk.ReadImage(js["out_bands"]))

    def label_at(p: np.ndarray, array: np.ndarray, names: dict[str, str]) -> str:
        idx = image.TransformPhysicalPointToIndex(tuple(float(v) for v in p))  # SimpleITK: LPS
        return names[str(int(array[idx[2], idx[1], idx[0]]))]

    assert label_at(phantom.center_lps, labels, legend) == "vertebral_body"
    assert label_at(phantom.canal_centroid_lps, labels, legend) == "spinal_canal"
    assert label_at(phantom.superior_endplate_center_lps, bands, band_legend) == "superior_endplate"
    # without --out there is no file, hence no legend
    assert main(["anatomy", str(path), "--vertebra", _point(phantom.center_lps), "--json"]) == 0
    assert "labels" not in json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "args",
    [["info"], ["segment", "--seed", "0,0,0"], ["anatomy", "--vertebra", "0,0,0"]],
    ids=["info", "segment", "anatomy"],
)
def test_a_folder_of_nifti_files_says_to_pass_the_file(
    phantom_file: tuple[Path, VertebraPhantom], args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _phantom = phantom_file
    code = main([args[0], str(path.parent), *args[1:], "--json"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "not a DICOM file" in err
    assert "give the file itself instead of its folder" in err and str(path) in err


def test_a_folder_without_images_gets_no_nifti_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    assert main(["info", str(tmp_path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "not a DICOM file" in err and "give the file itself" not in err
