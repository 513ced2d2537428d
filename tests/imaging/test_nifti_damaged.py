"""Damaged or geometry-less NIfTI / MHA / NRRD files are refused by name, never opened silently wrong.

Each file is written by an independent test writer (tests/imaging/nifti_files.py) or SimpleITK, then one
header field or the data is damaged. Geometry tolerances: 1e-4 mm.
"""

from __future__ import annotations

import gzip
import math
import re
import struct
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from imaging.errors import DicomImportError
from imaging.image_files import read_image
from imaging.load import load_volume, scan
from imaging.nifti_header import check_nifti
from tests.imaging.nifti_files import ras_to_index_to_lps, write_nifti

_TOL_MM = 1e-4
_SPACING_IJK_MM = (0.5, 0.7, 1.3)
_OFFSET_RAS_MM = (10.0, -20.0, 30.0)


def _array() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(-1000, 2000, size=(6, 7, 8), dtype=np.int16)


def _write(path: Path, **kwargs: object) -> np.ndarray:
    return write_nifti(path, _array(), spacing_ijk_mm=_SPACING_IJK_MM, offset_ras_mm=_OFFSET_RAS_MM, **kwargs)  # type: ignore[arg-type]


def _patch(path: Path, fmt: str, offset: int, *values: float) -> None:
    """Overwrite one little-endian header field of an uncompressed .nii."""
    raw = bytearray(path.read_bytes())
    struct.pack_into(f"<{fmt}", raw, offset, *values)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("name", ["v.nii", "v.nii.gz"])
@pytest.mark.parametrize(
    "form", [{"rotation": "z180"}, {"rotation": "z180", "qfac": -1.0, "sform_code": 0}, {"qform_code": 0}]
)
def test_valid_files_load_with_the_stated_grid(tmp_path: Path, order: str, name: str, form: dict) -> None:
    path = tmp_path / name
    ras = _write(path, order=order, **form)
    result = load_volume(path)
    np.testing.assert_array_equal(result.volume.array, _array())
    np.testing.assert_allclose(result.volume.index_to_lps, ras_to_index_to_lps(ras), atol=_TOL_MM)
    assert result.report.warnings == []


@pytest.mark.parametrize("name", ["o.nii", "o.nii.gz"])
def test_no_orientation_refused(tmp_path: Path, name: str) -> None:
    """qform_code and sform_code both 0: SimpleITK gave origin 0 and an identity direction, silently."""
    path = tmp_path / name
    _write(path, qform_code=0, sform_code=0)
    with pytest.raises(DicomImportError, match=re.escape(name) + ": the file states no patient orientation"):
        load_volume(path)
    with pytest.raises(DicomImportError, match="no patient orientation"):
        scan(path)


@pytest.mark.parametrize("name", ["s.nii", "s.nii.gz"])
def test_data_cut_short_refused_with_counts(tmp_path: Path, name: str) -> None:
    """Half the data missing: SimpleITK filled it with 0 (soft tissue in HU) without a word."""
    full = tmp_path / "full.nii"
    _write(full)
    raw = full.read_bytes()
    data_bytes = _array().size * 2
    kept = len(raw) - data_bytes // 2
    short = raw[:kept]
    path = tmp_path / name
    path.write_bytes(gzip.compress(short) if name.endswith(".gz") else short)
    held = kept - 352
    with pytest.raises(DicomImportError, match=rf"cut short: it holds {held} of the {data_bytes} bytes"):
        load_volume(path)


def test_gzip_stream_cut_short_refused(tmp_path: Path) -> None:
    """A .nii.gz whose compressed stream itself ends early (no gzip trailer)."""
    whole = tmp_path / "w.nii.gz"
    _write(whole)
    packed = whole.read_bytes()
    path = tmp_path / "c.nii.gz"
    path.write_bytes(packed[: len(packed) - 40])
    with pytest.raises(DicomImportError, match=r"c\.nii\.gz: the file is cut short: it holds \d+ of the 672"):
        load_volume(path)


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("value", [0.0, math.nan, math.inf])
def test_unusable_voxel_size_refused(tmp_path: Path, axis: int, value: float) -> None:
    """pixdim 0 or NaN became 1 mm in SimpleITK; inf is no size either."""
    path = tmp_path / "p.nii"
    _write(path)
    _patch(path, "f", 80 + 4 * axis, value)
    with pytest.raises(
        DicomImportError, match=rf"no usable voxel size along {'xyz'[axis]} \(pixdim\[{axis + 1}\]"
    ):
        load_volume(path)


def test_negative_voxel_size_with_only_a_qform_refused(tmp_path: Path) -> None:
    """pixdim -0.7 with only a qform: SimpleITK flipped that axis silently; readers differ on what it means
    (a flip, its absolute value, or 1 mm), so the file is refused rather than read one way by guess."""
    path = tmp_path / "q.nii"
    _write(path, rotation="z180", qfac=-1.0, sform_code=0)
    _patch(path, "f", 80 + 4, -_SPACING_IJK_MM[1])
    with pytest.raises(DicomImportError, match=r"negative voxel size .* only a qform"):
        load_volume(path)


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"qform_code": 0}, "taken from its sform"),
        ({}, "sform"),
    ],
)
def test_negative_voxel_size_read_by_the_standard(tmp_path: Path, form: dict, said: str) -> None:
    """pixdim -0.7 with an sform: SimpleITK flipped that axis silently; the sform's grid (which does not
    use pixdim) is kept, with a warning."""
    path = tmp_path / "n.nii"
    ras = _write(path, rotation="z180", qfac=-1.0, **form)
    _patch(path, "f", 80 + 4, -_SPACING_IJK_MM[1])
    result = load_volume(path)
    np.testing.assert_allclose(result.volume.index_to_lps, ras_to_index_to_lps(ras), atol=_TOL_MM)
    assert len(result.report.warnings) == 1
    assert "negative voxel size" in result.report.warnings[0] and said in result.report.warnings[0]
    info = scan(path).series[0]
    assert info.warnings == tuple(result.report.warnings)
    np.testing.assert_allclose(info.spacing_mm, (1.3, 0.7, 0.5), atol=1e-6)


@pytest.mark.parametrize("ndim", [0, 8, 9, -1])
def test_bad_dimension_count_refused(tmp_path: Path, ndim: int) -> None:
    path = tmp_path / "d.nii"
    _write(path)
    _patch(path, "h", 40, ndim)
    with pytest.raises(DicomImportError, match=rf"it gives {ndim} dimensions \(dim\[0\] must be 1 to 7\)"):
        load_volume(path)


def test_zero_dimension_refused(tmp_path: Path) -> None:
    path = tmp_path / "z.nii"
    _write(path)
    _patch(path, "h", 44, 0)  # dim[2]
    with pytest.raises(DicomImportError, match=r"image size 8 x 0 x 6 has a dimension below 1"):
        load_volume(path)


def test_header_cut_short_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.nii"
    _write(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(
        DicomImportError, match=r"h\.nii: the NIfTI header is cut short: the file holds 200 of its 348"
    ):
        load_volume(path)


@pytest.mark.parametrize(
    ("offset", "fmt", "value", "said"),
    [(0, "i", 12345, "header size field reads 12345"), (344, "4s", b"abc\0", "lacks the NIfTI signature")],
)
def test_not_a_nifti_header_refused(tmp_path: Path, offset: int, fmt: str, value: object, said: str) -> None:
    path = tmp_path / "m.nii"
    _write(path)
    _patch(path, fmt, offset, value)  # type: ignore[arg-type]
    with pytest.raises(DicomImportError, match=said):
        load_volume(path)


def test_nifti2_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "two.nii"
    _write(path, version=2)
    with pytest.raises(DicomImportError, match="NIfTI-2 files cannot be opened"):
        load_volume(path)


def test_nifti2_header_is_read(tmp_path: Path) -> None:
    """The header reader follows NIfTI-2 too (the refusal comes after its checks)."""
    path = tmp_path / "two.nii"
    _write(path, version=2, order=">")
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DicomImportError, match=r"cut short: it holds 662 of the 672 bytes"):
        check_nifti(path, [])


# -- MetaImage and NRRD through the same reader -----------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_metaimage_cut_short_refused(tmp_path: Path, compressed: bool) -> None:
    path = tmp_path / "v.mha"
    sitk.WriteImage(sitk.GetImageFromArray(_array()), str(path), useCompression=compressed)
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(
        DicomImportError, match=r"v\.mha: the file is cut short: it holds \d+ of the 672 bytes"
    ):
        load_volume(path)


@pytest.mark.parametrize("compressed", [False, True])
def test_nrrd_cut_short_one_plain_sentence(tmp_path: Path, compressed: bool) -> None:
    path = tmp_path / "v.nrrd"
    sitk.WriteImage(sitk.GetImageFromArray(_array()), str(path), useCompression=compressed)
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(DicomImportError) as caught:
        load_volume(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: the file is damaged") and "\n" not in text
    assert "SimpleITK" not in text and ".cxx" not in text


# -- the real data still loads as before -------------------------------------------------------


@pytest.mark.realdata
def test_real_nifti_grid_agrees_with_simpleitk(shared_data: Path) -> None:
    """Every real NIfTI (CT or label map): the header's grid (the NIfTI standard) equals SimpleITK's, and
    no warning."""
    paths = sorted(shared_data.glob("*/*.nii.gz"))
    assert len(paths) >= 8
    for path in paths:
        image = sitk.ReadImage(str(path))
        sx, sy, sz = image.GetSpacing()
        d = np.asarray(image.GetDirection()).reshape(3, 3)
        itk = np.eye(4)
        itk[:3, :3] = d * np.array([sx, sy, sz])
        itk[:3, 3] = image.GetOrigin()
        itk[:3, :3] = itk[:3, [2, 1, 0]]  # (x, y, z) columns -> (slice, row, col)
        grid = check_nifti(path, warnings := [])
        assert grid is not None and warnings == []
        np.testing.assert_allclose(grid, itk, atol=_TOL_MM, err_msg=str(path))
        # the file reader (load_volume refuses the label maps among these files: imaging.label_map)
        notes: list[str] = []
        volume = read_image(path, notes)
        assert notes == []
        np.testing.assert_array_equal(volume.array.astype(np.float64), sitk.GetArrayFromImage(image))
        np.testing.assert_allclose(volume.index_to_lps, itk, atol=_TOL_MM)
