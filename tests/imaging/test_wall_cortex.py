"""A posterior-wall gap is a break only where the wall beside it reads as cortex (imaging.wall_cortex).

Phantom (tests/phantoms/faint_wall, 3 mm and 1 mm slices): the posterior wall reads as trabecular bone
(no cortical peak, no soft tissue): its bony margin is continuous, so no defect; the note says where the
cortex was not resolved. Real data (skipped without ../shared/data): abdomen-pelvis-ct (3 mm voxels,
trabecular bone 102-119 HU) T12-L5 have no known lesion, and axial and sagittal crops of each wall show
a continuous grey bony margin with no soft tissue entering the body (QA session 14: the old code called
T12, L4 and L5 walls "with defects", up to 22 x 21 mm at L5); L2's verdict is the same for the two QA
clicks 0.6 mm apart (the old code: "with defects" at z 351.7, intact at 352.3). A lytic sphere breaking
the faint wall off the midline is still a defect (lytic HU behind it where the cortex is not resolved).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.volume import Volume
from imaging.wall_cortex import CortexReference, lytic_cut_hu, rim_is_cortex, rim_peak_hu
from tests.imaging.test_vertebra_realdata import ABDOMEN, _abdomen, _abdomen_result
from tests.phantoms.faint_wall import BODY_SEMI_AXES_MM, make_faint_wall_phantom

#: a made breach is found within this distance across and along the wall (as tests/imaging/test_vertebra.py)
DEFECT_MM = 3.0
#: the QA clicks on L2 (LPS mm), 0.6 mm apart along the spine
L2_CLICKS_LPS = ((5.9, -133.0, 351.7), (5.9, -133.0, 352.3))
#: the QA clicks whose walls the old code called "with defects" (LPS mm)
QA_CLICKS_LPS = {"T12": (4.5, -111.0, 416.6), "L4": (4.4, -143.4, 278.2), "L5": (1.3, -133.9, 242.3)}


@pytest.mark.parametrize("slice_mm", [3.0, 1.0])
def test_wall_without_cortical_peak_is_not_a_defect(slice_mm: float) -> None:
    phantom = make_faint_wall_phantom(slice_mm=slice_mm)
    anatomy = find_vertebra(phantom.volume, np.zeros(3))
    assert anatomy.posterior_wall_intact, [d.description for d in anatomy.posterior_wall_defects]
    assert any("cortex not resolved" in n for n in anatomy.notes), anatomy.notes


def _with_lytic_sphere(x_mm: float, radius_mm: float, inset_mm: float) -> tuple[Volume, np.ndarray]:
    """The faint-wall phantom (3 mm slices) with a lytic sphere (30 HU) centred ``inset_mm`` in front of
    its posterior wall, ``x_mm`` left of the midline at mid-height; returns it and the breach (LPS mm)."""
    phantom = make_faint_wall_phantom(slice_mm=3.0)
    volume = phantom.volume
    index = np.stack(np.indices(volume.shape), axis=-1).astype(np.float64)
    lps = volume.index_to_lps_points(index)
    wall_y = BODY_SEMI_AXES_MM[1] * np.sqrt(1.0 - (x_mm / BODY_SEMI_AXES_MM[0]) ** 2)
    centre = np.array([x_mm, wall_y - inset_mm, 0.0])
    lesion = (np.linalg.norm(lps - centre, axis=-1) <= radius_mm) & phantom.body_mask
    hu = volume.array.copy()
    hu[lesion] = 30
    return Volume(hu, volume.index_to_lps), np.array([x_mm, wall_y, 0.0])


def test_lytic_breach_off_the_midline_of_a_faint_wall_is_a_defect() -> None:
    # 10 mm across, 6 mm left of the midline: no foramen's place, lytic HU behind the wall
    volume, breach = _with_lytic_sphere(6.0, 5.0, 3.0)
    anatomy = find_vertebra(volume, np.zeros(3))
    assert not anatomy.posterior_wall_intact
    found = np.array([d.center_lps for d in anatomy.posterior_wall_defects])
    in_plane = np.hypot(found[:, 0] - breach[0], found[:, 2] - breach[2])  # across (x) and along (z)
    assert in_plane.min() <= DEFECT_MM, f"breach found {in_plane.min():.1f} mm from the made one"
    assert any("lytic destruction inside it is listed" in n for n in anatomy.notes), anatomy.notes


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known limit, upstream of the wall: with this 12 mm midline sphere (30 HU) the body's posterior "
        "surface is found 4 mm further forward across the whole probed wall (11 mm behind the centroid "
        "against 15 mm without it): the body stops at the lesion's front, so the wall probed lies in bone "
        "in front of the lesion, 2 mm^2 of rays read lytic HU and no crater is left to see"
    ),
)
def test_lytic_breach_at_the_midline_of_a_faint_wall_is_a_defect() -> None:
    volume, _ = _with_lytic_sphere(0.0, 6.0, 3.0)
    anatomy = find_vertebra(volume, np.zeros(3))
    assert not anatomy.posterior_wall_intact


def test_rim_leaves_out_other_gaps_and_end_plate_rows() -> None:
    peak = np.full((9, 12), 500.0)
    gap = np.zeros((9, 12), dtype=bool)
    gap[3:6, 4:7] = True
    rays = np.ones_like(gap)
    rows = np.ones(12, dtype=bool)
    reference = CortexReference(trabecular_peak_hu=300.0, rim_rows=rows)
    assert rim_peak_hu(gap, gap, rays, peak, reference) == 500.0
    # a second gap beside it and rows near the end plates are no rim
    missing = gap.copy()
    missing[:, 2:4] = True
    peak[:, 2:4] = 0.0
    assert rim_peak_hu(gap, missing, rays, peak, reference) == 500.0
    only_endplates = CortexReference(trabecular_peak_hu=300.0, rim_rows=np.zeros(12, dtype=bool))
    assert rim_peak_hu(gap, gap, rays, peak, only_endplates) is None
    assert not rim_is_cortex(None, reference)
    assert rim_is_cortex(301.0, reference) and not rim_is_cortex(300.0, reference)


@pytest.mark.realdata
@pytest.mark.parametrize("level", list(ABDOMEN))
def test_abdomen_walls_intact(shared_data: Path, level: str) -> None:
    anatomy, _ = _abdomen_result(str(shared_data), level)
    assert anatomy.posterior_wall_intact, [d.description for d in anatomy.posterior_wall_defects]
    assert anatomy.posterior_wall_defects == ()


@pytest.mark.realdata
@pytest.mark.parametrize("level", list(QA_CLICKS_LPS))
def test_abdomen_walls_intact_at_the_qa_clicks(shared_data: Path, level: str) -> None:
    ct, _, _ = _abdomen(str(shared_data))
    anatomy = find_vertebra(ct, np.array(QA_CLICKS_LPS[level]))
    assert anatomy.posterior_wall_intact, [d.description for d in anatomy.posterior_wall_defects]


@pytest.mark.realdata
def test_abdomen_l2_verdict_stable_between_clicks(shared_data: Path) -> None:
    ct, _, _ = _abdomen(str(shared_data))
    verdicts = [find_vertebra(ct, np.array(c)).posterior_wall_intact for c in L2_CLICKS_LPS]
    assert verdicts == [True, True], verdicts


def test_lytic_cut_where_lytic_tissue_can_be_told_from_the_bone() -> None:
    rng = np.random.default_rng(3)
    # a body 50 HU or more above lytic tissue: the cut half way, whatever the wall's windows read
    assert lytic_cut_hu(np.array([]), 150.0, lytic_hu=50.0, min_contrast_hu=50.0) == 100.0
    # an osteoporotic core (case1: 97 HU) behind a denser wall (windows 147 +- 40 HU): the cut (73.5 HU)
    # lies below nine in ten windows (147 - 1.28 x 40 = 96 HU), so it is used
    windows = rng.normal(147.0, 40.0, 300)
    assert lytic_cut_hu(windows, 97.0, lytic_hu=50.0, min_contrast_hu=50.0) == pytest.approx(73.5)
    # windows straddling the cut (75 +- 25 HU against a 61.5 HU cut): not judged
    assert lytic_cut_hu(rng.normal(75.0, 25.0, 300), 73.0, lytic_hu=50.0, min_contrast_hu=50.0) is None
    # bone no denser than lytic tissue: nothing lytic can show, however the windows read
    assert lytic_cut_hu(windows, 50.0, lytic_hu=50.0, min_contrast_hu=50.0) is None
    # lytic tissue (30 HU) behind 15 % of the rays leaves the median and robust spread telling (bound 77 HU);
    # behind 20 % they no longer do (67 HU) and this osteoporotic body is not judged, as before
    with_lesion = np.concatenate([windows, np.full(53, 30.0)])
    assert lytic_cut_hu(with_lesion, 97.0, lytic_hu=50.0, min_contrast_hu=50.0) == pytest.approx(73.5)
    with_lesion = np.concatenate([windows, np.full(75, 30.0)])
    assert lytic_cut_hu(with_lesion, 97.0, lytic_hu=50.0, min_contrast_hu=50.0) is None
