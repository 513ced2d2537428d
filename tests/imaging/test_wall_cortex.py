"""A posterior-wall gap is a break only where the wall beside it reads as cortex (imaging.wall_cortex).

Phantom (tests/phantoms/faint_wall, 3 mm and 1 mm slices): the posterior wall reads as trabecular bone
(no cortical peak, no soft tissue): its bony margin is continuous, so no defect; the note says where the
cortex was not resolved. Real data (skipped without ../shared/data): abdomen-pelvis-ct (3 mm voxels,
trabecular bone 102-119 HU) T12-L5 have no known lesion, and axial and sagittal crops of each wall show
a continuous grey bony margin with no soft tissue entering the body (QA session 14: the old code called
T12, L4 and L5 walls "with defects", up to 22 x 21 mm at L5); L2's verdict is the same for the two QA
clicks 0.6 mm apart (the old code: "with defects" at z 351.7, intact at 352.3).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.volume import Volume
from imaging.wall_cortex import CortexReference, rim_is_cortex, rim_peak_hu
from tests.imaging.test_vertebra_realdata import ABDOMEN, _abdomen, _abdomen_result
from tests.phantoms.faint_wall import BODY_SEMI_AXES_MM, make_faint_wall_phantom

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


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known limit: where the scan does not resolve the cortex, a lytic breach is called only when lytic "
        "HU lies behind most of the unresolved area; this 12 mm sphere on 3 mm slices leaves the body's "
        "surface retreated about 5 mm with bone in front of it; per-ray signs were tried: lytic HU per ray "
        "also flags the basivertebral venous channel at abdomen L2 and L5, and a crater 3-4 mm deep "
        "marks too few rays here"
    ),
)
def test_lytic_breach_of_a_wall_without_cortical_peak_is_a_defect() -> None:
    phantom = make_faint_wall_phantom(slice_mm=3.0)
    volume = phantom.volume
    index = np.stack(np.indices(volume.shape), axis=-1).astype(np.float64)
    lps = volume.index_to_lps_points(index)
    # a 6 mm radius lytic sphere (30 HU) centred 3 mm in front of the wall at the midline, mid-height
    centre = np.array([0.0, BODY_SEMI_AXES_MM[1] - 3.0, 0.0])
    lesion = (np.linalg.norm(lps - centre, axis=-1) <= 6.0) & phantom.body_mask
    hu = volume.array.copy()
    hu[lesion] = 30
    anatomy = find_vertebra(Volume(hu, volume.index_to_lps), np.zeros(3))
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
