"""Damaged files in a series: a file cut short is left out and named, the series built from the rest.

Series are written with tests/phantoms/dicom_writer.py (2.5 mm slices), then one or more files are cut
short in place. Truth is the written volume: the slices that remain must load bit for bit where they
were measured, a missing inner slice is interpolated (and said so), a missing end slice shortens the
volume (its origin moves to the next slice, to within 1e-4 mm). A refused series never shows a made-up
0 spacing or origin.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import DeflatedExplicitVRLittleEndian

from imaging.errors import DicomImportError, NotAVolumeError
from imaging.load import load_volume, scan
from tests.phantoms.ct import CtPhantom, build_ct_phantom
from tests.phantoms.dicom_writer import WrittenSeries, write_dicom_series

#: geometry agreement of planes and origins (mm): float32/DS rounding only
GEOMETRY_TOLERANCE_MM = 1e-4


@pytest.fixture(scope="module")
def phantom() -> CtPhantom:
    return build_ct_phantom(shape=(12, 32, 32), seed=5)


def cut_short(path: Path, keep_fraction: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_fraction)])


def deflate_files(written: WrittenSeries) -> None:
    """Rewrite every image file as Deflated Explicit VR Little Endian."""
    for path in written.paths:
        ds = pydicom.dcmread(path)
        ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
        ds.save_as(path, enforce_file_format=True)


def report_text(lines: list[str]) -> str:
    return "\n".join(lines)


@pytest.mark.parametrize(
    "options",
    [{}, {"implicit_vr": True}, {"compression": "rle"}, {"compression": "jpeg2000"}, {"deflate": True}],
    ids=["explicit", "implicit", "rle", "jpeg2000", "deflate"],
)
def test_truncated_inner_slice_is_left_out_and_interpolated(
    tmp_path: Path, phantom: CtPhantom, options: dict[str, object]
) -> None:
    deflate = bool(options.pop("deflate", False))
    w = write_dicom_series(phantom.volume, tmp_path / "s", **options)  # type: ignore[arg-type]
    if deflate:
        deflate_files(w)
    k = 5
    cut_short(w.paths[k])
    info = scan(tmp_path / "s").series[0]
    assert info.loadable, info.refusal
    assert info.shape == w.volume.shape
    result = load_volume(tmp_path / "s")
    v = result.volume
    np.testing.assert_allclose(v.index_to_lps, w.volume.index_to_lps, atol=GEOMETRY_TOLERANCE_MM)
    keep = [i for i in range(w.volume.shape[0]) if i != k]
    np.testing.assert_array_equal(v.array[keep], w.volume.array[keep])
    mean = np.rint((w.volume.array[k - 1].astype(np.float32) + w.volume.array[k + 1]) / 2)
    np.testing.assert_array_equal(v.array[k], mean.astype(v.array.dtype))
    text = report_text(result.report.lines())
    assert f"Skipped {w.paths[k]}: truncated" in text
    assert "Missing slice(s): a 5.00 mm gap" in text and "interpolated, not measured" in text


@pytest.mark.parametrize("end", ["first", "last"])
def test_truncated_end_slice_shortens_the_volume(tmp_path: Path, phantom: CtPhantom, end: str) -> None:
    w = write_dicom_series(phantom.volume, tmp_path / "s", shuffle=True)
    along = np.asarray(w.slice_positions_lps, dtype=np.float64) @ w.volume.direction[:, 2]
    k = int(np.argmin(along)) if end == "first" else int(np.argmax(along))
    cut_short(w.paths[k])
    result = load_volume(tmp_path / "s")
    v = result.volume
    n = w.volume.shape[0]
    kept = slice(1, n) if end == "first" else slice(0, n - 1)
    assert v.shape == (n - 1, *w.volume.shape[1:])
    np.testing.assert_array_equal(v.array, w.volume.array[kept])
    first_kept = 1 if end == "first" else 0
    expected_origin = w.volume.index_to_lps @ np.array([first_kept, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(v.origin_lps, expected_origin[:3], atol=GEOMETRY_TOLERANCE_MM)
    np.testing.assert_allclose(v.spacing_mm, w.volume.spacing_mm, atol=GEOMETRY_TOLERANCE_MM)
    text = report_text(result.report.lines())
    where = "before the first slice used" if end == "first" else "beyond the last slice used"
    assert f"{w.paths[k].name} was left out (truncated" in text and where in text
    assert "Missing slice" not in text  # nothing interpolated: the volume is just shorter


def test_too_few_usable_slices_refuse_the_series_by_name(tmp_path: Path, phantom: CtPhantom) -> None:
    w = write_dicom_series(phantom.volume, tmp_path / "s", drop_slices=range(3, 12))
    cut_short(w.paths[0])
    cut_short(w.paths[2])
    with pytest.raises(
        NotAVolumeError, match=r"only one slice.*at least 2 slices.*2 damaged file\(s\)"
    ) as err:
        load_volume(tmp_path / "s")
    assert err.value.series_uid == w.series_uid
    assert w.paths[0].name in str(err.value) and w.paths[2].name in str(err.value)
    cut_short(w.paths[1])
    info = scan(tmp_path / "s").series[0]
    assert not info.loadable and info.refusal is not None
    assert info.refusal.startswith("no usable slice") and "truncated" in info.refusal


def test_truncated_deflated_file_alone_is_refused_by_name(tmp_path: Path, phantom: CtPhantom) -> None:
    w = write_dicom_series(phantom.volume, tmp_path / "s", drop_slices=range(1, 12))
    deflate_files(w)
    cut_short(w.paths[0])
    with pytest.raises(DicomImportError, match=rf"{w.paths[0].name}: truncated or corrupt: its deflate"):
        scan(w.paths[0])


def test_refused_series_has_unknown_not_zero_geometry(tmp_path: Path, phantom: CtPhantom) -> None:
    w = write_dicom_series(phantom.volume, tmp_path / "one", drop_slices=range(1, 12))
    info = scan(w.paths[0]).series[0]
    assert not info.loadable and info.shape == (1, *w.volume.shape[1:])
    assert math.isnan(info.spacing_mm[0])
    np.testing.assert_allclose(info.spacing_mm[1:], w.volume.spacing_mm[1:], atol=GEOMETRY_TOLERANCE_MM)
    np.testing.assert_allclose(info.origin_lps, w.slice_positions_lps[0], atol=GEOMETRY_TOLERANCE_MM)
    np.testing.assert_allclose(info.direction, w.volume.direction, atol=1e-6)
    js = info.to_json()
    assert js["spacing_mm"][0] is None and 0.0 not in js["spacing_mm"]
    assert any("slice spacing is unknown" in s for s in js["warnings"])
    # several slices refused: the origin is not known either (and is not 0, 0, 0)
    write_dicom_series(phantom.volume, tmp_path / "mr", modality="MR")
    js = scan(tmp_path / "mr").series[0].to_json()
    assert js["loadable"] is False and js["origin_lps"] == [None, None, None]
    assert any("slice spacing and origin are unknown" in s for s in js["warnings"])


def test_one_file_opened_names_a_cut_sibling(tmp_path: Path, phantom: CtPhantom) -> None:
    w = write_dicom_series(phantom.volume, tmp_path / "s")
    deflate_files(w)
    cut_short(w.paths[5])  # its header cannot be read: its series is unknown, but it sits beside them
    (tmp_path / "s" / "notes.txt").write_text("not DICOM, not reported as damaged")
    result = load_volume(w.paths[0])
    assert result.volume.shape == w.volume.shape
    text = report_text(result.report.lines())
    assert f"Skipped {w.paths[5]}: truncated or corrupt" in text and "notes.txt" not in text
    assert "Missing slice(s)" in text


def test_cut_middle_of_three_leaves_two_slices_at_double_spacing(tmp_path: Path, phantom: CtPhantom) -> None:
    # the two slices left are evenly spaced: a correct 2-slice volume, nothing interpolated or claimed so
    w = write_dicom_series(phantom.volume, tmp_path / "s", drop_slices=range(3, 12))
    cut_short(w.paths[1])
    result = load_volume(tmp_path / "s")
    v = result.volume
    assert v.shape == (2, *w.volume.shape[1:])
    assert abs(v.spacing_mm[0] - 2 * w.volume.spacing_mm[0]) < GEOMETRY_TOLERANCE_MM
    np.testing.assert_array_equal(v.array, w.volume.array[[0, 2]])
    text = report_text(result.report.lines())
    assert f"{w.paths[1].name} was left out" in text and "inside the stack" in text
    assert "interpolated" not in text
