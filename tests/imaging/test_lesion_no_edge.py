"""A lesion whose volume is set by the growth limit, not by an edge, says so (QA s19 F6).

Bone-lesions case4's first lesion, grown from the centre of its box's voxel or of a neighbouring voxel,
is 2.6-6.5 mL (27 seeds, tests/benchmarks/bench_lesion_jitter.py): its lytic tissue runs on through a
cortical gap into the muscle beside the ilium and into low-density marrow, and the limit (twice the radius
estimated at the seed's voxel: 10, 12 or 14 mm) sets the volume (imaging.lesion_extent gives the figures).
The growth-limit warning now says when the lesion has no edge within reach and gives its volume with the
limit one step farther; a lesion cut by the limit just short of its edge does not say so. Phantoms of
tests/phantoms/lesion.py (positions LPS mm) and the real patch.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_grow import LesionParameters
from imaging.lesion_model import GROWTH_LIMIT_NOTE, NO_EDGE_NOTE, Lesion
from imaging.volume import Volume
from tests.imaging.test_lesion_realdata import _case
from tests.phantoms import lesion as ph
from tests.phantoms.lesion import PhantomLesion, lesion_phantom

#: the lytic ball of the breach phantom: centre (LPS mm) and radius; it breaks through the cortex
BALL_CENTRE = (0.0, 12.0, 0.0)
BALL_MM = 6.0
WIDER = re.compile(r"with the limit at (\d+) mm it is ([\d.]+) mL, not ([\d.]+) mL")


def breach_volume(*, fat: bool, seed: int = 3) -> Volume:
    """The phantom's bone cylinder with a lytic ball (30 HU) breaking through its cortex, HU, 1 mm grid.

    With ``fat`` the bone lies in its fat sleeve and the ball's part outside the bone ends at the fat (an
    edge); without it the bone lies in soft tissue (40 HU) as dense as the lesion, as case4's ilium lies
    in muscle: the lesion runs on into it.
    """
    cyl = ph.bone_cylinder(fat=fat)
    hu = cyl.hu
    cx, cy, cz = BALL_CENTRE
    hu[(cyl.x - cx) ** 2 + (cyl.y - cy) ** 2 + (cyl.z - cz) ** 2 <= BALL_MM**2] = ph.LYTIC_HU
    hu = hu + np.random.default_rng(seed).normal(0.0, ph.NOISE_HU, size=cyl.shape)
    return Volume(hu.astype(np.float32), cyl.affine)


def _limit_note(lesion: Lesion) -> str | None:
    notes = [n for n in lesion.warnings if n.startswith(GROWTH_LIMIT_NOTE)]
    return notes[0] if notes else None


def test_lesion_running_on_into_soft_tissue_says_it_has_no_edge() -> None:
    volume = breach_volume(fat=False)
    lesion = segment_lesion(volume, BALL_CENTRE)
    note = _limit_note(lesion)
    assert note is not None and NO_EDGE_NOTE in note, lesion.warnings
    # the figure it gives is the lesion the operator gets by setting the growth limit there
    found = WIDER.search(note)
    assert found is not None, note
    wider_mm, wider_ml, ml = int(found[1]), float(found[2]), float(found[3])
    assert ml == pytest.approx(lesion.volume_ml, abs=0.005)
    p = dataclasses.replace(LesionParameters(), extent_min_mm=float(wider_mm))
    assert segment_lesion(volume, BALL_CENTRE, parameters=p).volume_ml == pytest.approx(wider_ml, abs=0.005)
    # the same ball ending at fat outside the bone has an edge: no growth-limit warning at all
    bounded = segment_lesion(breach_volume(fat=True), BALL_CENTRE)
    assert _limit_note(bounded) is None, bounded.warnings


def test_lesion_cut_by_the_limit_just_short_of_its_edge_is_not_said_to_have_none() -> None:
    # the mixed sphere on the 0.8 x 0.8 x 2 mm grid: the limit (12 mm) cuts the far rim of its blastic
    # half (2.86 of 3.05 mL, test_lesion MIXED_CUT); 2 mm farther it is 3.04 mL, +6 %: it has an edge
    phantom = lesion_phantom(PhantomLesion.MIXED_SPHERE, spacing_mm=(2.0, 0.8, 0.8), seed=3)
    lesion = segment_lesion(phantom.volume, phantom.seed_lps)
    note = _limit_note(lesion)
    assert note is not None and NO_EDGE_NOTE not in note, lesion.warnings
    found = WIDER.search(note)
    assert found is not None and float(found[2]) <= phantom.truth_volume_ml * 1.01, note


# case4 lesion 1 (lesion-boxes.csv row 1) from the centre of its box centre's voxel and of the six voxels
# sharing a face with it (index offsets [slice, row, col])
FACE_OFFSETS = [(0, 0, 0), (-1, 0, 0), (1, 0, 0), (0, -1, 0), (0, 1, 0), (0, 0, -1), (0, 0, 1)]
#: the spread of volumes, around their median, of a lesion found from neighbouring voxels (the brief's target)
JITTER_TOLERANCE = 0.15


@cache
def _case4_lesions(folder: str) -> tuple[Lesion, ...]:
    volume, centre, _size = _case(Path(folder), 1)
    voxel = np.rint(volume.lps_to_index_points(centre))
    return tuple(
        segment_lesion(volume, volume.index_to_lps_points(voxel + np.asarray(o, dtype=np.float64)))
        for o in FACE_OFFSETS
    )


@pytest.mark.realdata
def test_case4_lesion_from_neighbouring_voxels_says_its_volume_is_the_limits(shared_data: Path) -> None:
    lesions = _case4_lesions(str(shared_data / "bone-lesions"))
    volumes = np.array([lesion.volume_ml for lesion in lesions])
    # the volumes do move with the click by more than the tolerance (measured: 2.90-4.65 mL) ...
    assert np.max(np.abs(volumes - np.median(volumes))) > JITTER_TOLERANCE * np.median(volumes)
    # ... and every one of them says that the limit, not an edge, set it, with the volume a step farther
    for lesion in lesions:
        note = _limit_note(lesion)
        assert note is not None and NO_EDGE_NOTE in note, lesion.warnings
        found = WIDER.search(note)
        assert found is not None and float(found[2]) > 1.15 * lesion.volume_ml, note


@pytest.mark.realdata
@pytest.mark.xfail(
    strict=True,
    reason="no edge to find (imaging.lesion_extent): grown to 8-40 mm from the seed the lesion fills 61-72 % "
    "of each ball (1.55-109 mL), 84-89 % of it outside the bone (muscle through a cortical gap); inside the "
    "bone closed by 5 mm it still grows (2.5 mL at 10 mm, 9.7 mL at 40 mm), with a 100 HU lytic edge too; "
    "the radius estimated at the seed (in 1 mm steps, limit twice it) moves with the voxel. With the "
    "dataset's box drawn the 27 seeds give 2.03-2.34 mL (9.1 % from their median)",
)
def test_case4_lesion_volume_does_not_depend_on_the_seeds_voxel(shared_data: Path) -> None:
    volumes = np.array([lesion.volume_ml for lesion in _case4_lesions(str(shared_data / "bone-lesions"))])
    assert np.max(np.abs(volumes - np.median(volumes))) <= JITTER_TOLERANCE * np.median(volumes)
