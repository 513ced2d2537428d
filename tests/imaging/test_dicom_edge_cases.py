"""Real DICOM edge cases (../shared/data/dicom-edge-cases): decoders, broken files, enhanced CT.

The uncompressed CTImage.dcm is the reference: every lossless transfer syntax must match it pixel for
pixel in HU; lossy ones must stay close; undecodable ones must raise a per-file error naming the
transfer syntax. Single files are one slice, which ``load_volume`` refuses (a volume needs 2 slices),
so pixels are checked through the loader's own per-file pipeline ``read_file_hu``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest

from imaging.dicom_pixels import read_file_hu
from imaging.errors import DicomImportError, NotAVolumeError
from imaging.load import load_volume, scan

pytestmark = pytest.mark.realdata

LOSSLESS = (
    "LittleEndianExplicit",
    "LittleEndianImplicit",
    "BigEndianExplicit",
    "DeflatedExplicitVRLittleEndian",
    "RLELossless",
    "JPEGLSLossless",
    "JPEG2000LosslessOnly",
    "JPEGProcess14SV1",
    "JPEGProcess14",
)
#: lossy syntaxes that decode here: bound on the mean |HU error| against the reference, about twice
#: what was measured (JPEG 2000 0.57, JPEG-LS near-lossless 0.69, baseline 8-bit 19.8, 12-bit 3.8 HU)
LOSSY_MAX_MEAN_ABS_HU = {"JPEG2000": 5.0, "JPEGLSLossy": 2.0, "JPEGProcess1": 40.0, "JPEGProcess2_4": 10.0}


def _syntax(path: Path) -> str:
    return path.name.removeprefix("CTImage.dcm_").split("TransferSyntax")[0]


def _files(shared: Path) -> list[Path]:
    return sorted((shared / "dicom-edge-cases" / "transfer-syntaxes").glob("CTImage.dcm_*"))


@pytest.fixture(scope="module")
def reference(shared_data: Path) -> np.ndarray:
    hu, _ = read_file_hu(shared_data / "dicom-edge-cases" / "transfer-syntaxes" / "CTImage.dcm")
    ds = pydicom.dcmread(shared_data / "dicom-edge-cases" / "transfer-syntaxes" / "CTImage.dcm")
    expected = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    np.testing.assert_array_equal(hu[0], expected)  # our raw read agrees with pydicom
    return hu[0]


def test_every_transfer_syntax(shared_data: Path, reference: np.ndarray) -> None:
    seen_lossless: set[str] = set()
    refused: list[str] = []
    for path in _files(shared_data):
        name = _syntax(path)
        try:
            hu, _ = read_file_hu(path)
        except DicomImportError as exc:
            # a per-file refusal naming the file and the transfer syntax UID
            assert path.name in str(exc) and "cannot decode" in str(exc)
            uid = pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
            assert str(uid) in str(exc)
            assert name not in LOSSLESS, f"lossless {name} failed to decode: {exc}"
            refused.append(name)
            continue
        if name in LOSSLESS:
            np.testing.assert_array_equal(hu[0], reference, err_msg=name)
            seen_lossless.add(name)
        else:
            err = float(np.mean(np.abs(hu[0].astype(np.float64) - reference)))
            assert err < LOSSY_MAX_MEAN_ABS_HU[name], (name, err)
    assert seen_lossless == set(LOSSLESS)
    assert set(refused) <= {"JPEGProcess2_4", "JPEGProcess6_8", "JPEGProcess10_12"}


def test_undecodable_series_refused_with_transfer_syntax(shared_data: Path, tmp_path: Path) -> None:
    """Two slices in JPEG process 10/12 (no decoder): load_volume names the file and the syntax."""
    src = next(p for p in _files(shared_data) if "Process10_12" in p.name)
    for k in range(2):
        ds = pydicom.dcmread(src)
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        ds.ImagePositionPatient = [0.0, 0.0, float(k) * 2.0]
        ds.save_as(tmp_path / f"s{k}.dcm")
    with pytest.raises(
        DicomImportError, match=r"s0\.dcm: cannot decode transfer syntax .*1\.2\.840\.10008\.1\.2\.4\.55"
    ):
        load_volume(tmp_path)


def test_pixel_representation_mismatch(shared_data: Path) -> None:
    path = shared_data / "dicom-edge-cases" / "misc" / "J2K_pixelrep_mismatch.dcm"
    hu, notes = read_file_hu(path)
    # signed as (0028,0103) says: -2000 is the scanner's outside-the-field padding, as gdcm decodes it
    assert hu.min() == -2000 and hu.max() < 3000
    assert any("J2K_pixelrep_mismatch.dcm" in n and "Pixel Representation" in n for n in notes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdcm = pydicom.pixels.pixel_array(str(path), decoding_plugin="gdcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    np.testing.assert_array_equal(hu[0], gdcm * float(ds.RescaleSlope) + float(ds.RescaleIntercept))
    # one slice (with a -22 degree tilt) is not a volume
    with pytest.raises(NotAVolumeError, match="only one slice"):
        load_volume(path)


@pytest.mark.parametrize("name", ["693_UNCI.dcm", "693_J2KR.dcm", "CT1_J2KR", "CT2_J2KR", "CT_small.dcm"])
def test_misc_ct_decodes_like_pydicom(shared_data: Path, name: str) -> None:
    path = shared_data / "dicom-edge-cases" / "misc" / name
    hu, _ = read_file_hu(path)
    ds = pydicom.dcmread(path)
    expected = ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(
        ds.get("RescaleIntercept", 0)
    )
    np.testing.assert_array_equal(hu[0], expected)


@pytest.mark.parametrize(
    ("name", "error", "pattern"),
    [
        ("no-pixel-data.dcm", DicomImportError, r"no-pixel-data\.dcm: no \(7FE0,0010\) Pixel Data"),
        ("no-pixel-spacing.dcm", NotAVolumeError, "modality US is not CT"),
        ("US-YBR_FULL_422-EVRLE.dcm", NotAVolumeError, "modality US is not CT"),
        ("JPEG-LL.dcm", NotAVolumeError, "modality NM is not CT"),
        ("CT_small.dcm", NotAVolumeError, r"only one slice \(CT_small\.dcm\)"),
    ],
)
def test_misc_refused_by_name(shared_data: Path, name: str, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        load_volume(shared_data / "dicom-edge-cases" / "misc" / name)


def test_missing_pixel_spacing_in_a_ct_refused(shared_data: Path, tmp_path: Path) -> None:
    """no-pixel-spacing.dcm is an ultrasound; the same defect in a CT series is refused by file name."""
    src = shared_data / "dicom-edge-cases" / "transfer-syntaxes" / "CTImage.dcm"
    for k in range(2):
        ds = pydicom.dcmread(src)
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        ds.ImagePositionPatient = [0.0, 0.0, float(k) * 2.0]
        if k == 1:
            del ds.PixelSpacing
        ds.save_as(tmp_path / f"s{k}.dcm")
    with pytest.raises(NotAVolumeError, match=r"s1\.dcm has no \(0028,0030\) Pixel Spacing"):
        load_volume(tmp_path)


@pytest.mark.parametrize("name", ["eCT_Supplemental.dcm", "CT0012.fragmented_no_bot_jpeg_baseline.51.dcm"])
def test_enhanced_ct_per_frame_geometry(shared_data: Path, name: str) -> None:
    path = shared_data / "dicom-edge-cases" / "misc" / name
    v = load_volume(path).volume
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    positions = np.array(
        [
            [float(x) for x in f.PlanePositionSequence[0].ImagePositionPatient]
            for f in ds.PerFrameFunctionalGroupsSequence
        ]
    )
    assert v.shape[0] == len(positions) == 2
    # every frame's (0020,0032) lies on a slice centre of the loaded grid
    idx = v.lps_to_index_points(positions)
    np.testing.assert_allclose(idx[:, 1:], 0.0, atol=1e-6)
    np.testing.assert_allclose(sorted(idx[:, 0]), [0.0, 1.0], atol=1e-6)
    shared = ds.SharedFunctionalGroupsSequence[0]
    iop = [float(x) for x in shared.PlaneOrientationSequence[0].ImageOrientationPatient]
    np.testing.assert_allclose(v.direction[:, 0], iop[:3], atol=1e-6)
    np.testing.assert_allclose(v.direction[:, 1], iop[3:], atol=1e-6)
    spacing = [float(x) for x in shared.PixelMeasuresSequence[0].PixelSpacing]
    np.testing.assert_allclose(v.spacing_mm[1:], spacing, atol=1e-6)


def test_enhanced_ct_rescale_applied(shared_data: Path) -> None:
    path = shared_data / "dicom-edge-cases" / "misc" / "eCT_Supplemental.dcm"
    v = load_volume(path).volume
    ds = pydicom.dcmread(path)
    stored = ds.pixel_array.astype(np.float64)
    hu = np.asarray(v.array, np.float64)
    order = np.argsort(
        [
            float(f.PlanePositionSequence[0].ImagePositionPatient[2])
            for f in ds.PerFrameFunctionalGroupsSequence
        ]
    )
    if v.direction[2, 2] < 0:
        order = order[::-1]
    for k, f in enumerate(order):
        item = ds.PerFrameFunctionalGroupsSequence[f].get("PixelValueTransformationSequence")
        t = (item or ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence)[0]
        np.testing.assert_array_equal(hu[k], stored[f] * float(t.RescaleSlope) + float(t.RescaleIntercept))


def test_folder_of_edge_cases_scans(shared_data: Path) -> None:
    infos = scan(shared_data / "dicom-edge-cases" / "misc").series
    by_refusal = " ".join(i.refusal or "" for i in infos)
    assert "not CT" in by_refusal and "only one slice" in by_refusal
