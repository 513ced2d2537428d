"""NIfTI / NRRD / MHA read and write: geometry exact in LPS, HU values unchanged, RAS only at the edge."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from imaging.errors import DicomImportError
from imaging.load import load_volume, save_volume, scan
from imaging.volume import Volume
from tests.phantoms.ct import build_ct_phantom, find_markers_lps, match_markers, oblique_geometry


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd", ".mha"])
def test_round_trip_oblique_exact(tmp_path: Path, suffix: str) -> None:
    p = build_ct_phantom(oblique_geometry(30.0), seed=4)
    path = tmp_path / f"vol{suffix}"
    save_volume(p.volume, path)
    back = load_volume(path).volume
    np.testing.assert_allclose(back.index_to_lps, p.volume.index_to_lps, atol=1e-4)  # mm
    np.testing.assert_array_equal(back.array, p.volume.array)
    assert back.array.dtype == np.int16
    assert match_markers(find_markers_lps(back), p.markers_lps).max() < 1e-3
    info = scan(path).series[0]
    assert info.shape == p.volume.shape and info.loadable


def test_float_volume_kept_float(tmp_path: Path) -> None:
    p = build_ct_phantom(seed=1)
    v = p.volume.with_array(p.volume.array.astype(np.float32) + 0.25)
    save_volume(v, tmp_path / "f.nrrd")
    back = load_volume(tmp_path / "f.nrrd").volume
    assert back.array.dtype == np.float32
    np.testing.assert_array_equal(back.array, v.array)


def test_nifti_is_ras_on_disk(tmp_path: Path) -> None:
    """The file holds RAS (NIfTI's convention): x and y negated against our LPS."""
    p = build_ct_phantom(seed=1)
    save_volume(p.volume, tmp_path / "r.nii")
    srow = _nifti_sform(tmp_path / "r.nii")
    np.testing.assert_allclose(_lps_from_sform(srow), p.volume.index_to_lps, atol=1e-4)


def test_write_refuses_bad_suffix_and_sheared_grid(tmp_path: Path) -> None:
    p = build_ct_phantom(seed=1)
    with pytest.raises(ValueError, match="must end in"):
        save_volume(p.volume, tmp_path / "x.png")
    m = p.volume.index_to_lps.copy()
    m[2, 1] = 0.3  # a sheared (gantry-tilt) grid cannot be stored
    with pytest.raises(ValueError, match="not orthogonal"):
        save_volume(Volume(p.volume.array, m), tmp_path / "x.nii.gz")
    assert not list(tmp_path.glob("*partial*"))


def test_unreadable_image_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(b"not a nifti")
    with pytest.raises(DicomImportError, match=r"bad\.nii\.gz: the file is not gzip-compressed"):
        load_volume(bad)
    for name in ("bad.nrrd", "bad.mha"):  # SimpleITK's refusal, as one plain sentence
        (tmp_path / name).write_bytes(b"not an image")
        with pytest.raises(
            DicomImportError,
            match=rf"{name}: not a readable NIfTI / NRRD / MHA image \(unknown format or damaged header\)$",
        ):
            load_volume(tmp_path / name)


def test_4d_refused(tmp_path: Path) -> None:
    image = sitk.GetImageFromArray(np.zeros((2, 3, 4, 5), dtype=np.int16))
    sitk.WriteImage(image, str(tmp_path / "4d.nii.gz"))
    with pytest.raises(DicomImportError, match="not a 3D single-channel volume"):
        load_volume(tmp_path / "4d.nii.gz")


# -- helpers: an independent NIfTI header reader ----------------------------------------------


def _nifti_sform(path: Path) -> np.ndarray:
    data = path.read_bytes()
    raw = gzip.decompress(data)[:352] if path.name.endswith(".gz") else data[:352]
    sform_code = struct.unpack("<h", raw[254:256])[0]
    assert sform_code > 0
    return np.array(struct.unpack("<12f", raw[280:328]), dtype=np.float64).reshape(3, 4)


def _lps_from_sform(srow: np.ndarray) -> np.ndarray:
    """NIfTI voxel (i, j, k) -> RAS, re-expressed as our (slice=k, row=j, col=i) -> LPS."""
    flip = np.diag([-1.0, -1.0, 1.0])
    m = np.eye(4)
    m[:3, 0] = flip @ srow[:, 2]
    m[:3, 1] = flip @ srow[:, 1]
    m[:3, 2] = flip @ srow[:, 0]
    m[:3, 3] = flip @ srow[:, 3]
    return m


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("relpath", "code"),
    [("lumbar-ct-labels/sub-ct_label-22_ct.nii.gz", "PIR"), ("abdomen-pelvis-ct/ct.nii.gz", "RAS")],
)
def test_real_nifti_orientation_in_lps(shared_data: Path, relpath: str, code: str) -> None:
    path = shared_data / relpath
    v = load_volume(path).volume
    expected = _lps_from_sform(_nifti_sform(path))
    np.testing.assert_allclose(v.index_to_lps, expected, atol=1e-3)  # mm
    assert v.orientation_code() == code
    assert v.array.dtype == np.int16
