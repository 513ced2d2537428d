"""A lytic hole through a real posterior wall is a wall defect and a lesion involving the wall (QA s17, 4).

Real data (skipped without ../shared/data). The hole is made here the way the QA made it: every voxel
within ``HOLE_RADIUS_MM`` of a voxel of the wall band that :func:`imaging.vertebra.find_vertebra` draws on
the unchanged CT (the one at mid-height nearest ``HOLE_LEFT_MM`` left of the body's centroid: medial to
the left pedicle) and denser than ``HOLE_HU`` is set to ``HOLE_HU``, lytic tissue (CLINICAL.md: roughly
0-100 HU). On bone-lesions case1 (1 mm voxels, an osteoporotic body: core 97 HU inside a denser rim)
the old code reported a "basivertebral foramen (normal) at the midline", 14 x 10 mm, centred 7 mm from
the hole, and the wall intact: the wall was probed over the canal's central 70 % only, which cut the hole
at its inner half, that half joined the normal foramen's gap, and the lytic tissue behind it was not
looked for because the core's 97 HU stands less than 50 HU above lytic HU. A seed in the hole was
refused as osteoporotic normal bone (30 HU, within 88 HU of the deep bone's 105 HU median). The same
seed on the 3 mm abdomen's L3 (core about 110 HU) was refused the same way (45 deep voxels, 114 HU).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_model import LesionType
from imaging.load import load_volume
from imaging.vertebra import find_vertebra
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from tests.imaging.case1_points import CASE1_CLICKS

pytestmark = pytest.mark.realdata

#: the QA's hole: 10 mm across, lytic tissue, about 8 mm left of the body's centroid at mid-height
HOLE_RADIUS_MM = 5.0
HOLE_HU = 30.0
HOLE_LEFT_MM = 8.0
#: the wall band voxels looked at lie within this of the centroid's height (mm): mid-height
MID_HEIGHT_MM = 2.0
#: a made breach is found within this distance (mm), as the phantom breaches of
#: tests/imaging/test_vertebra_wall.py; the made centre is a band voxel, up to the band's 3 mm in front of
#: the surface the defect is reported on
DEFECT_MM = 3.0
#: the normal foramen is found where it was on the unchanged CT, to within this (mm; as the phantom
#: foramina of tests/imaging/test_vertebra_wall.py)
LOCATED_MM = 2.0
#: the share of the hole's core (its voxels more than one voxel inside it: the smoothing the lesion grows
#: on blurs the outermost voxel with the bone around it) the lesion must hold
HOLE_COVERED = 0.9
#: the abdomen L3 click of the QA (LPS mm), and the hole's radius there (two 3 mm voxels)
ABDOMEN_L3_CLICK = (4.9, -141.3, 315.7)
ABDOMEN_HOLE_RADIUS_MM = 6.0


def _with_hole(
    volume: Volume, anatomy: VertebraAnatomy, radius_mm: float
) -> tuple[Volume, np.ndarray, np.ndarray]:
    """The CT with the hole, the hole's centre (LPS mm) and its core (voxels more than a voxel inside it)."""
    band = volume.index_to_lps_points(np.argwhere(anatomy.posterior_wall.to_full()).astype(np.float64))
    centroid = np.asarray(anatomy.body_centroid_lps)
    mid = band[np.abs(band[:, 2] - centroid[2]) <= MID_HEIGHT_MM]
    centre = mid[int(np.argmin(np.abs(mid[:, 0] - (centroid[0] + HOLE_LEFT_MM))))]
    index = np.indices(volume.shape).reshape(3, -1).T.astype(np.float64)
    dist = np.linalg.norm(volume.index_to_lps_points(index) - centre, axis=1).reshape(volume.shape)
    hu = volume.array.astype(np.float32)
    hole = (dist <= radius_mm) & (hu > HOLE_HU)
    hu[hole] = HOLE_HU
    core = hole & (dist <= radius_mm - max(volume.spacing_mm))
    return Volume(hu, volume.index_to_lps), centre, core


@cache
def _case1(root: str) -> tuple[VertebraAnatomy, VertebraAnatomy, Volume, np.ndarray, np.ndarray]:
    volume = load_volume(Path(root) / "bone-lesions" / "case1.nii.gz").volume
    before = find_vertebra(volume, CASE1_CLICKS["click"])
    holed, centre, core = _with_hole(volume, before, HOLE_RADIUS_MM)
    return before, find_vertebra(holed, CASE1_CLICKS["click"]), holed, centre, core


def test_case1_unchanged_wall_is_intact_with_its_foramen(shared_data: Path) -> None:
    before, _, _, _, _ = _case1(str(shared_data))
    assert before.posterior_wall_intact, [d.description for d in before.posterior_wall_defects]
    assert len(before.basivertebral_foramina) == 1
    assert "at the midline" in before.basivertebral_foramina[0].description


def test_case1_hole_is_a_defect_with_its_own_place_beside_the_foramen(shared_data: Path) -> None:
    before, after, _, centre, _ = _case1(str(shared_data))
    assert not after.posterior_wall_intact
    found = [np.linalg.norm(np.asarray(d.center_lps) - centre) for d in after.posterior_wall_defects]
    k = int(np.argmin(found))
    assert found[k] <= DEFECT_MM, f"nearest defect {found[k]:.2f} mm from the hole"
    assert "left of midline" in after.posterior_wall_defects[k].description
    # the normal foramen is not made part of the defect: every defect lies nearer the hole than the foramen
    foramen = np.asarray(before.basivertebral_foramina[0].center_lps)
    for d in after.posterior_wall_defects:
        at = np.asarray(d.center_lps)
        assert np.linalg.norm(at - centre) < np.linalg.norm(at - foramen), d.description
    # and where it is still named it is where it was, apart from the hole. Since the body is bounded by the
    # disc 2.5 mm above case1's click (imaging.vertebra_discs, session 17), the part of the gap left once
    # the hole is taken out reads 16 mm across, more than a foramen at this resolution, and is said as
    # "cortex not resolved" (a thin break cannot be excluded) rather than named the foramen
    for f in after.basivertebral_foramina:
        assert np.linalg.norm(np.asarray(f.center_lps) - foramen) <= LOCATED_MM
        assert np.linalg.norm(np.asarray(f.center_lps) - centre) > HOLE_RADIUS_MM
    if not after.basivertebral_foramina:
        assert any("cortex not resolved" in n for n in after.notes), after.notes


def test_case1_seed_in_the_hole_is_a_lytic_lesion_involving_the_wall(shared_data: Path) -> None:
    _, after, holed, centre, core = _case1(str(shared_data))
    lesion = segment_lesion(holed, centre, posterior_wall=after.posterior_wall)
    assert lesion.type is LesionType.LYTIC
    assert lesion.posterior_wall_involved is True
    covered = np.count_nonzero(lesion.mask.to_full() & core) / np.count_nonzero(core)
    assert covered >= HOLE_COVERED, f"the lesion holds {covered:.2f} of the hole's core"


def test_abdomen_l3_seed_in_the_hole_is_a_lytic_lesion(shared_data: Path) -> None:
    volume = load_volume(shared_data / "abdomen-pelvis-ct" / "ct.nii.gz").volume
    anatomy = find_vertebra(volume, ABDOMEN_L3_CLICK)
    holed, centre, core = _with_hole(volume, anatomy, ABDOMEN_HOLE_RADIUS_MM)
    lesion = segment_lesion(holed, centre)
    assert lesion.type is LesionType.LYTIC
    covered = np.count_nonzero(lesion.mask.to_full() & core) / np.count_nonzero(core)
    assert covered >= HOLE_COVERED, f"the lesion holds {covered:.2f} of the hole's core"
