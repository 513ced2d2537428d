"""Series planning from headers alone: ordering, spacing, gaps, jitter, tilt angle, refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pydicom
import pytest

from imaging.dicom_scan import FrameHeader
from imaging.dicom_series import group_series, plan_series
from imaging.load import load_volume
from imaging.report import ImportReport
from tests.phantoms.ct import build_ct_phantom
from tests.phantoms.dicom_writer import write_dicom_series


def header(k: int, z_mm: float, **changes: object) -> FrameHeader:
    base = FrameHeader(
        path=f"/x/f{k:03d}.dcm",
        frame_index=0,
        n_frames_in_file=1,
        sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
        series_uid="1.2.3",
        study_uid="1.2",
        frame_of_reference_uid="1.2.4",
        description="",
        modality="CT",
        image_type=("ORIGINAL", "PRIMARY", "AXIAL"),
        instance_number=k + 1,
        position_lps=(-100.0, -100.0, z_mm),
        orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
        pixel_spacing_mm=(0.5, 0.5),
        slice_thickness_mm=1.0,
        rows=8,
        cols=8,
        samples_per_pixel=1,
        photometric="MONOCHROME2",
        bits_allocated=16,
        bits_stored=16,
        pixel_representation=1,
        rescale_slope=1.0,
        rescale_intercept=0.0,
        transfer_syntax="1.2.840.10008.1.2.1",
        pixel_offset=None,
        file_size=0,
        patient_position="HFS",
        meta={},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_order_from_positions_not_instance_numbers() -> None:
    zs = [5.0, 1.0, 3.0, 2.0, 4.0]
    frames = [header(k, z, instance_number=10 - k) for k, z in enumerate(zs)]
    plan = plan_series(frames, "1.2.3")
    assert [f.position_lps[2] for f in plan.frames if f.position_lps] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert plan.spacing_mm == (1.0, 0.5, 0.5) and plan.warnings == ()


def test_rounding_jitter_is_uniform() -> None:
    zs = [0.0, 1.002, 1.999, 3.001, 4.0]
    plan = plan_series([header(k, z) for k, z in enumerate(zs)], "1.2.3")
    assert not plan.resample_slices and plan.spacing_mm[0] == pytest.approx(1.0)


def test_non_uniform_steps_reported_and_resampled() -> None:
    zs = [0.0, 1.0, 2.2, 3.2, 4.0, 5.0]
    plan = plan_series([header(k, z) for k, z in enumerate(zs)], "1.2.3")
    assert plan.resample_slices and plan.shape[0] == 6
    assert any("Non-uniform slice spacing: steps from 0.80 to 1.20 mm" in w for w in plan.warnings)


def test_many_gaps_summarised() -> None:
    zs = [0, 1, 2, 3, 4, 6, 8, 10, 12, 13, 14, 15, 16]  # median step 1 mm, four 2 mm steps
    plan = plan_series([header(k, float(z)) for k, z in enumerate(zs)], "1.2.3")
    assert plan.shape[0] == 17
    assert any(
        w.startswith("Missing slices or uneven gaps: 4 steps of 2.00 to 2.00 mm") for w in plan.warnings
    )


def test_tilt_angle_from_positions() -> None:
    angle = np.deg2rad(22.0)
    # image plane tilted about x; slices stacked along z, 2 mm apart
    iop = (1.0, 0.0, 0.0, 0.0, float(np.cos(angle)), float(np.sin(angle)))
    frames = [header(k, 2.0 * k, orientation=iop) for k in range(6)]
    plan = plan_series(frames, "1.2.3")
    assert plan.tilt_deg == pytest.approx(22.0, abs=1e-6)
    assert plan.spacing_mm[0] == pytest.approx(2.0 * np.cos(angle), abs=1e-9)
    # slice k's corner lies 2k sin(22) mm further along the column direction than the orthogonal
    # grid's: shift it by +4k sin(22) rows of 0.5 mm (the marker tests check the sign physically)
    np.testing.assert_allclose(
        [s[0] for s in plan.inplane_shift_index], [4.0 * k * np.sin(angle) for k in range(6)], atol=1e-9
    )
    np.testing.assert_allclose([s[1] for s in plan.inplane_shift_index], 0.0, atol=1e-9)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"modality": "MR"}, "modality MR is not CT"),
        ({"photometric": "RGB", "samples_per_pixel": 3}, "colour image"),
        ({"bits_allocated": 12}, "Bits Allocated 12"),
    ],
)
def test_refusals(changes: dict[str, object], reason: str) -> None:
    plan = plan_series([header(k, float(k), **changes) for k in range(3)], "1.2.3")
    assert plan.refusal is not None and reason in plan.refusal


def test_positions_off_a_line_refused() -> None:
    frames = [header(k, float(k)) for k in range(4)]
    frames[2] = replace(frames[2], position_lps=(-90.0, -100.0, 2.0))
    plan = plan_series(frames, "1.2.3")
    assert plan.refusal is not None and "do not lie on one line" in plan.refusal


def test_small_off_orientation_group_is_a_localizer() -> None:
    report = ImportReport()
    frames = [header(k, float(k)) for k in range(10)]
    frames.append(header(99, 0.0, orientation=(1.0, 0.0, 0.0, 0.0, 0.0, -1.0), image_type=("ORIGINAL",)))
    plans = group_series(frames, report)
    assert len(plans) == 1 and plans[0].shape[0] == 10
    assert any("f099.dcm" in line and "localizer" in line for line in report.lines())


def test_enhanced_per_frame_rescale_applied(tmp_path: Path) -> None:
    """Each frame of an enhanced CT gets its own (0028,9145) intercept."""
    phantom = build_ct_phantom(seed=6)
    w = write_dicom_series(phantom.volume, tmp_path, enhanced=True)
    ds = pydicom.dcmread(w.paths[0])
    stored = np.frombuffer(ds.PixelData, dtype=np.uint16).reshape(40, 64, 64).copy()
    for k, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        item.PixelValueTransformationSequence[0].RescaleIntercept = -1024 - 3 * k
        stored[k] += 3 * k  # same HU, different storage per frame
    ds.PixelData = stored.tobytes()
    ds.save_as(w.paths[0])
    v = load_volume(w.paths[0]).volume
    np.testing.assert_array_equal(v.array, w.volume.array)


def test_orientation_jitter_does_not_split_a_stack() -> None:
    """Cosines 0.0004999 and 0.0005001 round apart at 3 decimals; a tolerance keeps them together."""
    report = ImportReport()
    frames = [
        header(k, float(k), orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0004999 if k % 2 else 0.0005001))
        for k in range(8)
    ]
    plans = group_series(frames, report)
    assert len(plans) == 1 and plans[0].shape[0] == 8 and plans[0].loadable
    assert report.skipped == []
