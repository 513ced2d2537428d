"""The CT loader on synthetic DICOM series written with pydicom: geometry, HU, warnings, refusals.

Truth is known by construction: the phantom's markers sit at known LPS points (mm) whatever the grid,
and the writer returns the HU it encoded. "Within 0.5 voxel" is checked per axis in index units of the
loaded grid.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import pytest

from imaging.errors import DicomImportError, ImportCancelledError, NotAVolumeError
from imaging.load import load_volume, scan
from imaging.volume import Volume
from tests.phantoms.ct import (
    CtPhantom,
    build_ct_phantom,
    find_markers_lps,
    oblique_geometry,
    tilted_geometry,
)
from tests.phantoms.dicom_writer import write_dicom_series


@pytest.fixture(scope="module")
def phantom() -> CtPhantom:
    return build_ct_phantom(seed=3)


def assert_markers_within_half_voxel(volume: Volume, truth_lps: np.ndarray) -> None:
    found = find_markers_lps(volume)
    assert found.shape[0] == truth_lps.shape[0], (
        f"found {found.shape[0]} markers, expected {truth_lps.shape[0]}"
    )
    found_idx = volume.lps_to_index_points(found)
    for t in volume.lps_to_index_points(truth_lps):
        err = np.abs(found_idx - t).max(axis=1)
        assert err.min() < 0.5, f"no marker within 0.5 voxel of index {t} (closest {err.min():.3f})"


EXACT_VARIANTS = {
    "plain": {},
    "shuffled": {"shuffle": True},
    "feet_first": {"feet_first": True},
    "prone": {"prone": True},
    "feet_first_prone": {"feet_first": True, "prone": True},
    "implicit_vr": {"implicit_vr": True},
    "signed": {"signed": True, "rescale_intercept": 0.0},
    "rle": {"compression": "rle"},
    "jpeg2000": {"compression": "jpeg2000"},
    "jpegls_signed": {"compression": "jpegls", "signed": True},
    "enhanced_per_frame": {"enhanced": True},
    "enhanced_shared_rle": {"enhanced": True, "per_frame_rescale": False, "compression": "rle"},
    "slope_half": {"rescale_slope": 0.5},
    "dicomdir": {"dicomdir": True},
}


@pytest.mark.parametrize("name", list(EXACT_VARIANTS))
def test_variant_loads_exact_geometry_and_hu(tmp_path: Path, phantom: CtPhantom, name: str) -> None:
    written = write_dicom_series(phantom.volume, tmp_path / "s", **EXACT_VARIANTS[name])
    result = load_volume(tmp_path / "s")
    v = result.volume
    # geometry: the grid as written (sub-micrometre), values: the HU encoded, bit for bit
    np.testing.assert_allclose(v.index_to_lps, written.volume.index_to_lps, atol=1e-4)
    np.testing.assert_array_equal(v.array, written.volume.array)
    assert v.array.dtype == written.volume.array.dtype
    assert_markers_within_half_voxel(v, phantom.markers_lps)
    assert result.report.warnings == []


def test_int16_when_exact_float32_when_slope_not_integer(tmp_path: Path, phantom: CtPhantom) -> None:
    write_dicom_series(phantom.volume, tmp_path / "a")
    written = write_dicom_series(phantom.volume, tmp_path / "b", rescale_slope=0.5, rescale_intercept=-1100.5)
    assert load_volume(tmp_path / "a").volume.array.dtype == np.int16
    v = load_volume(tmp_path / "b").volume
    assert v.array.dtype == np.float32
    # HU = stored * 0.5 - 1100.5 is a half-integer: stored 200 is -1000.5 HU exactly
    np.testing.assert_array_equal(v.array, written.volume.array)
    assert np.all(np.abs(v.array - phantom.volume.array) <= 0.5)


def test_single_file_of_enhanced_series(tmp_path: Path, phantom: CtPhantom) -> None:
    written = write_dicom_series(phantom.volume, tmp_path / "e", enhanced=True)
    v = load_volume(written.paths[0]).volume
    np.testing.assert_array_equal(v.array, written.volume.array)


def test_dicomdir_file_as_input(tmp_path: Path, phantom: CtPhantom) -> None:
    write_dicom_series(phantom.volume, tmp_path / "d", dicomdir=True)
    v = load_volume(tmp_path / "d" / "DICOMDIR").volume
    assert_markers_within_half_voxel(v, phantom.markers_lps)


def test_oblique_grid(tmp_path: Path) -> None:
    p = build_ct_phantom(oblique_geometry(25.0, axis=(0.3, 1.0, 0.5)), seed=5)
    write_dicom_series(p.volume, tmp_path / "o")
    v = load_volume(tmp_path / "o").volume
    np.testing.assert_allclose(v.index_to_lps, p.volume.index_to_lps, atol=1e-4)
    assert_markers_within_half_voxel(v, p.markers_lps)


@pytest.mark.parametrize("tilt_deg", [12.0, -15.0])
def test_gantry_tilt_corrected_with_angle_in_warning(tmp_path: Path, tilt_deg: float) -> None:
    geometry = tilted_geometry(tilt_deg)
    # markers in the first half of the stack, away from the edge the tilt correction shifts away
    idx = np.array([[6.0, 32.0, 20.0], [12.0, 28.0, 44.0], [16.0, 36.0, 32.0]])
    markers = idx @ geometry[:3, :3].T + geometry[:3, 3]
    p = build_ct_phantom(geometry, markers_lps=markers, seed=1)
    write_dicom_series(p.volume, tmp_path / "t")
    result = load_volume(tmp_path / "t")
    v = result.volume
    d = v.direction
    assert abs(float(d[:, 0] @ d[:, 2])) < 1e-9 and abs(float(d[:, 1] @ d[:, 2])) < 1e-9  # orthogonal
    assert v.spacing_mm[0] == pytest.approx(2.5 * np.cos(np.deg2rad(tilt_deg)), abs=1e-6)
    assert_markers_within_half_voxel(v, markers)
    text = " ".join(result.report.warnings)
    assert f"Gantry tilt of {abs(tilt_deg):.1f}°" in text


@pytest.mark.parametrize("options", [{"gantry_tilt_deg": 10.0}, {"oblique_deg": 20.0}])
def test_writer_resampling_options(tmp_path: Path, phantom: CtPhantom, options: dict[str, float]) -> None:
    """Any volume written tilted or oblique by the writer (linear resampling) loads in place."""
    write_dicom_series(phantom.volume, tmp_path / "w", **options)
    result = load_volume(tmp_path / "w")
    assert_markers_within_half_voxel(result.volume, phantom.markers_lps)
    assert ("Gantry tilt of 10.0°" in " ".join(result.report.warnings)) == ("gantry_tilt_deg" in options)


def test_gap_too_wide_to_interpolate_is_refused(tmp_path: Path, phantom: CtPhantom) -> None:
    # 2.5 mm slices; dropping 4 in a row leaves a 12.5 mm hole: above the 10 mm limit, refused
    write_dicom_series(phantom.volume, tmp_path / "hole", drop_slices=[15, 16, 17, 18])
    with pytest.raises(NotAVolumeError, match=r"12\.5 mm gap between IM\d+\.dcm and IM\d+\.dcm.*too wide"):
        load_volume(tmp_path / "hole")
    info = scan(tmp_path / "hole").series[0]
    assert not info.loadable and info.refusal is not None and "too wide to interpolate" in info.refusal
    # three missing slices (a 10.0 mm step) are still within the limit: interpolated with a warning
    write_dicom_series(phantom.volume, tmp_path / "small", drop_slices=[15, 16, 17])
    result = load_volume(tmp_path / "small")
    assert result.volume.shape == phantom.volume.shape
    assert "Missing slice(s): a 10.00 mm gap" in " ".join(result.report.warnings)
    # named by the numbers the axial view shows, counted from its top: 1 + the slices above each
    z_mm = result.volume.index_to_lps_points(np.stack([np.arange(40.0), np.zeros(40), np.zeros(40)], 1))[:, 2]
    above = sorted(1 + int(np.sum(z_mm > z_mm[k] + 1e-3)) for k in (15, 16, 17))
    assert f"(axial slices {above[0]}-{above[-1]}/40 in the views) are interpolated" in " ".join(
        result.report.warnings
    )


def test_missing_slice_resampled_with_named_gap(tmp_path: Path, phantom: CtPhantom) -> None:
    written = write_dicom_series(phantom.volume, tmp_path / "g", drop_slices=[17])
    result = load_volume(tmp_path / "g")
    v = result.volume
    assert v.shape == phantom.volume.shape  # back on the uniform 2.5 mm grid
    np.testing.assert_allclose(v.index_to_lps, written.volume.index_to_lps, atol=1e-4)
    text = " ".join(result.report.warnings)
    assert "Missing slice(s): a 5.00 mm gap" in text and "IM0017.dcm and IM0018.dcm" in text
    # the slice made up is named by its position and the number the axial view (top down) shows for it
    z_mm = v.index_to_lps_points(np.stack([np.arange(40.0), np.zeros(40), np.zeros(40)], 1))[:, 2]
    shown = 1 + int(np.sum(z_mm > z_mm[17] + 1e-3))
    assert f"the slice at z {z_mm[17]:.1f} mm (axial slice {shown}/40 in the views) is interpolated" in text
    assert "interpolated, not measured" in text
    # measured slices unchanged; the missing one is the mean of its neighbours
    keep = [k for k in range(40) if k != 17]
    np.testing.assert_array_equal(v.array[keep], written.volume.array[keep])
    mean = np.rint((written.volume.array[16].astype(np.float32) + written.volume.array[18]) / 2)
    np.testing.assert_array_equal(v.array[17], mean.astype(np.int16))


def test_overlapping_slices_reported(tmp_path: Path, phantom: CtPhantom) -> None:
    write_dicom_series(phantom.volume, tmp_path / "ov", slice_thickness_mm=4.0)
    text = " ".join(load_volume(tmp_path / "ov").report.warnings)
    assert "Overlapping slices: spacing 2.50 mm is less than the slice thickness 4.00 mm" in text


def test_duplicate_positions_reported(tmp_path: Path, phantom: CtPhantom) -> None:
    written = write_dicom_series(phantom.volume, tmp_path / "dup")
    copy = tmp_path / "dup" / "zz_copy.dcm"
    copy.write_bytes(written.paths[5].read_bytes())
    import pydicom

    ds = pydicom.dcmread(copy)
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.InstanceNumber = 99
    ds.save_as(copy)
    result = load_volume(tmp_path / "dup")
    assert result.volume.shape == phantom.volume.shape
    assert "repeat the position of another slice (zz_copy.dcm)" in " ".join(result.report.warnings)


@pytest.mark.parametrize("image_type", [True, False])
def test_localizer_set_aside(tmp_path: Path, phantom: CtPhantom, image_type: bool) -> None:
    write_dicom_series(phantom.volume, tmp_path / "l", add_localizer=True, localizer_image_type=image_type)
    result = load_volume(tmp_path / "l")
    assert result.volume.shape == phantom.volume.shape
    assert_markers_within_half_voxel(result.volume, phantom.markers_lps)
    lines = " ".join(result.report.lines())
    assert "IM_localizer.dcm" in lines and "localizer" in lines


def test_non_image_object_reported(tmp_path: Path, phantom: CtPhantom) -> None:
    write_dicom_series(phantom.volume, tmp_path / "sr", add_non_image=True)
    (tmp_path / "sr" / "notes.txt").write_text("not dicom")
    result = load_volume(tmp_path / "sr")
    lines = " ".join(result.report.lines())
    assert "IM_report.dcm: no (7FE0,0010) Pixel Data" in lines
    assert "1 file(s) are not DICOM" in lines


def test_two_series_need_a_choice(tmp_path: Path, phantom: CtPhantom) -> None:
    a = write_dicom_series(phantom.volume, tmp_path / "two", description="bone", file_prefix="A")
    b = write_dicom_series(phantom.volume, tmp_path / "two", description="soft", file_prefix="B", prone=True)
    infos = scan(tmp_path / "two").series
    assert {i.series_uid for i in infos} == {a.series_uid, b.series_uid}
    with pytest.raises(NotAVolumeError, match="2 loadable series found") as exc:
        load_volume(tmp_path / "two")
    assert a.series_uid in str(exc.value) and b.series_uid in str(exc.value)
    v = load_volume(tmp_path / "two", b.series_uid).volume
    np.testing.assert_allclose(v.index_to_lps, b.volume.index_to_lps, atol=1e-4)
    with pytest.raises(NotAVolumeError, match=r"no series 1\.2\.3\.4"):
        load_volume(tmp_path / "two", "1.2.3.4")


def test_scan_info_matches_loaded_geometry(tmp_path: Path, phantom: CtPhantom) -> None:
    write_dicom_series(phantom.volume, tmp_path / "s", feet_first=True, drop_slices=[3])
    info = scan(tmp_path / "s").series[0]
    v = load_volume(tmp_path / "s").volume
    assert info.shape == v.shape
    np.testing.assert_allclose(info.spacing_mm, v.spacing_mm, atol=1e-9)
    np.testing.assert_allclose(info.origin_lps, v.origin_lps, atol=1e-9)
    np.testing.assert_allclose(np.asarray(info.direction), v.direction, atol=1e-9)
    j = info.to_json()
    assert set(j) >= {
        "series_uid",
        "description",
        "modality",
        "shape",
        "spacing_mm",
        "origin_lps",
        "direction",
    }
    assert j["n_files"] == 39 and j["loadable"] is True and any("gap" in w for w in j["warnings"])


# -- refusals ---------------------------------------------------------------------------------


def test_non_ct_refused(tmp_path: Path, phantom: CtPhantom) -> None:
    write_dicom_series(phantom.volume, tmp_path / "mr", modality="MR")
    with pytest.raises(NotAVolumeError, match="modality MR is not CT"):
        load_volume(tmp_path / "mr")
    assert scan(tmp_path / "mr").series[0].loadable is False


def test_single_slice_refused(tmp_path: Path, phantom: CtPhantom) -> None:
    w = write_dicom_series(phantom.volume, tmp_path / "one", drop_slices=range(1, 40))
    with pytest.raises(NotAVolumeError, match=r"only one slice \(IM0001.dcm\).*at least 2 slices"):
        load_volume(w.paths[0])


def test_one_file_of_a_series_opens_the_series(tmp_path: Path, phantom: CtPhantom) -> None:
    w = write_dicom_series(phantom.volume, tmp_path / "s", shuffle=True)
    write_dicom_series(phantom.volume, tmp_path / "s", file_prefix="other", drop_slices=range(5, 40))
    result = load_volume(w.paths[7])
    np.testing.assert_array_equal(result.volume.array, w.volume.array)
    assert f"{w.paths[7].name} is one slice of a series: the series' 40 files" in " ".join(
        result.report.warnings
    )


def test_two_slices_load(tmp_path: Path, phantom: CtPhantom) -> None:
    write_dicom_series(phantom.volume, tmp_path / "two", drop_slices=range(2, 40))
    assert load_volume(tmp_path / "two").volume.shape == (2, 64, 64)


def test_missing_pixel_spacing_refused(tmp_path: Path, phantom: CtPhantom) -> None:
    import pydicom

    w = write_dicom_series(phantom.volume, tmp_path / "nps")
    ds = pydicom.dcmread(w.paths[7])
    del ds.PixelSpacing
    ds.save_as(w.paths[7])
    with pytest.raises(NotAVolumeError, match=r"IM0008.dcm has no \(0028,0030\) Pixel Spacing"):
        load_volume(tmp_path / "nps")


def test_missing_position_refused(tmp_path: Path, phantom: CtPhantom) -> None:
    import pydicom

    w = write_dicom_series(phantom.volume, tmp_path / "nopos")
    ds = pydicom.dcmread(w.paths[2])
    del ds.ImagePositionPatient
    ds.save_as(w.paths[2])
    with pytest.raises(NotAVolumeError, match=r"IM0003.dcm has no \(0020,0032\) Image Position"):
        load_volume(tmp_path / "nopos")


@pytest.mark.parametrize("compression", [None, "rle"])
def test_truncated_file_left_out_by_name(tmp_path: Path, phantom: CtPhantom, compression: str | None) -> None:
    # reading is lenient: the cut file is named and left out, the series loads from the rest (its gap
    # interpolated and reported; more in test_load_damaged.py)
    w = write_dicom_series(phantom.volume, tmp_path / "tr", compression=compression)
    data = w.paths[9].read_bytes()
    w.paths[9].write_bytes(data[: len(data) - 3000])
    result = load_volume(tmp_path / "tr")
    assert result.volume.shape == phantom.volume.shape
    assert any("IM0010.dcm" in line and "truncated" in line for line in result.report.lines())


def test_folder_without_dicom_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.txt").write_text("hello")
    with pytest.raises(DicomImportError, match="no DICOM image found in 1 file"):
        load_volume(tmp_path / "empty")
    with pytest.raises(DicomImportError, match="no such file or folder"):
        load_volume(tmp_path / "absent")


def test_only_non_image_refused_by_name(tmp_path: Path, phantom: CtPhantom) -> None:
    w = write_dicom_series(phantom.volume, tmp_path / "x", add_non_image=True, drop_slices=range(40))
    assert len(w.paths) == 1
    with pytest.raises(DicomImportError, match=r"IM_report.dcm: no \(7FE0,0010\) Pixel Data"):
        load_volume(tmp_path / "x")


# -- progress and cancel ----------------------------------------------------------------------


def test_progress_monotonic_to_one_and_cancel(tmp_path: Path, phantom: CtPhantom) -> None:
    write_dicom_series(phantom.volume, tmp_path / "p", compression="rle")
    seen: list[float] = []
    load_volume(tmp_path / "p", progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(b >= a for a, b in itertools.pairwise(seen))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ImportCancelledError):
        load_volume(tmp_path / "p", cancel=cancel)


@pytest.mark.parametrize("implicit_vr", [True, False])
def test_files_without_preamble_or_meta(tmp_path: Path, phantom: CtPhantom, implicit_vr: bool) -> None:
    """Old ACR-NEMA style files (bare dataset, no 'DICM', no group 0002) still load, with a note."""
    import pydicom
    from pydicom.filebase import DicomFileLike
    from pydicom.filewriter import write_dataset

    w = write_dicom_series(phantom.volume, tmp_path / "src", implicit_vr=implicit_vr)
    bare = tmp_path / "bare"
    bare.mkdir()
    for f in w.paths:
        ds = pydicom.dcmread(f)
        with (bare / f.name).open("wb") as raw:
            out = DicomFileLike(raw)
            out.is_little_endian, out.is_implicit_VR = True, implicit_vr
            write_dataset(out, ds)
    assert (bare / w.paths[0].name).read_bytes()[128:132] != b"DICM"
    result = load_volume(bare)
    np.testing.assert_array_equal(result.volume.array, w.volume.array)
    np.testing.assert_allclose(result.volume.index_to_lps, w.volume.index_to_lps, atol=1e-4)
    assert "40 file(s) have no DICOM preamble" in " ".join(result.report.warnings)
    (bare / "junk.bin").write_bytes(b"\x08\x00\x10\x00" + bytes(range(200)))
    assert "1 file(s) are not DICOM" in " ".join(load_volume(bare).report.warnings)
