"""The program's own direct route is ranked by whether its needle is usable, not by length alone.

Phantom (1 mm grid, LPS mm): a soft-tissue body (40 HU) x -30..30, y -10..30, z -50..50 in air, its front
skin (y = -10) 4 mm over a rib-like bar that runs along z the whole body's length: 12 mm wide (x -6..6) and
16 mm deep (y -6..10), a 1 mm 1000 HU cortex round 250 HU marrow, holding a lytic sphere (20 HU, radius
4 mm) centred at the origin. The shortest way in is straight down from the front skin (10 mm); its needle,
with the zone centred (11.5 mm behind the antenna tip, the antenna 15 mm beyond the needle tip), puts the
antenna tip 11.5 mm past the centre, through the bar's back (y = 10), and drawing the needle back enough
would leave it less than 5 mm in the skin. A path slanting along the bar keeps the antenna tip in the
bar. Zone: Emprint 75 W 5 min (CLINICAL.md), 32 x 32 x 35 mm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from planning.ablation import zones_along_trajectory
from planning.direct_route import HELD_NEEDLE_DEPTH_MM, choose_direct_skin_point, propose_direct
from planning.direct_tip import ANTENNA_TIP_BONE_CLEARANCE_MM
from planning.errors import PlanValidationError
from planning.proposal_base import Proposal
from tests.planning.test_direct_tip import EMPRINT_75W, EXTENSION_MM

LESION_RADIUS_MM = 4.0
#: the bar's bone (cortex included), LPS mm
BAR_HALF_WIDTH_MM = 6.0
BAR_FRONT_Y_MM, BAR_BACK_Y_MM = -6.0, 10.0
SKIN_Y_MM = -10.0
#: a voxel face lies half a voxel beyond a voxel centre; nearest-voxel reading adds the sampling step
#: along the needle (a quarter voxel)
FACE_TOLERANCE_MM = 0.75


def _rib_phantom(hu_inside: float | None = None) -> tuple[Volume, Mask, npt.NDArray[np.float64]]:
    """The body, the bar and the lesion; ``hu_inside`` fills the whole image with tissue of that HU
    (no skin anywhere in it) when given."""
    shape = (111, 51, 71)  # z, y, x at 1 mm
    m = affine_from_geometry((-35.0, -15.0, -55.0), (1.0, 1.0, 1.0), np.eye(3))
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1).astype(float)
    pts = idx @ m[:3, :3].T + m[:3, 3]
    x, y, z = pts[..., 0], pts[..., 1], pts[..., 2]
    body = (np.abs(x) <= 30.0) & (y >= SKIN_Y_MM) & (y <= 30.0) & (np.abs(z) <= 50.0)
    hu = np.where(body, 40, -1000).astype(np.int16)
    if hu_inside is not None:
        hu[:] = hu_inside
    bar = (
        (np.abs(x) <= BAR_HALF_WIDTH_MM) & (y >= BAR_FRONT_Y_MM) & (y <= BAR_BACK_Y_MM) & (np.abs(z) <= 50.0)
    )
    marrow = (
        (np.abs(x) <= BAR_HALF_WIDTH_MM - 1.0)
        & (y >= BAR_FRONT_Y_MM + 1.0)
        & (y <= BAR_BACK_Y_MM - 1.0)
        & (np.abs(z) <= 50.0)
    )
    hu[bar] = 1000
    hu[marrow] = 250
    lesion = np.sum(pts**2, axis=-1) <= LESION_RADIUS_MM**2
    hu[lesion] = 20
    return Volume(hu, m), Mask.from_full(lesion), pts


def _propose(vol: Volume, lesion: Mask, skin: tuple[float, float, float]) -> Proposal:
    return propose_direct(vol, lesion, skin, antenna_extension_mm=EXTENSION_MM, zone=EMPRINT_75W)


def _antenna_tip_in_bar(p: Proposal) -> bool:
    """The antenna tip inside the bar's bone, the clearance short of its faces (within a voxel face)."""
    tip = np.asarray(p.geometry.antenna_tip_lps(EXTENSION_MM))
    room = ANTENNA_TIP_BONE_CLEARANCE_MM - FACE_TOLERANCE_MM
    return bool(
        abs(tip[0]) <= BAR_HALF_WIDTH_MM - room
        and BAR_FRONT_Y_MM + room <= tip[1] <= BAR_BACK_Y_MM - room
        and abs(tip[2]) <= 50.0 - room
    )


def _coverage(p: Proposal, lesion_pts: npt.NDArray[np.float64]) -> float:
    zone = zones_along_trajectory(
        p.geometry,
        antenna_extension_mm=EXTENSION_MM,
        width_mm=EMPRINT_75W.width_mm,
        length_mm=EMPRINT_75W.length_mm,
        center_behind_tip_mm=EMPRINT_75W.center_behind_tip_mm,
    )[0]
    return float(np.mean(zone.contains(lesion_pts)))


def test_the_chosen_route_keeps_the_antenna_in_a_thin_bar_where_the_shortest_does_not() -> None:
    """The old choice (the shortest clear path, as chosen without the zone) comes straight down from the
    front skin and leaves the antenna tip beyond the bar's back; the new one slants along the bar: its
    antenna tip lies inside the bar, its needle tip at least HELD_NEEDLE_DEPTH_MM deep, and the zone
    still covers the lesion. The note says why the shorter path was not taken."""
    vol, lesion, pts = _rib_phantom()
    lesion_pts = pts[lesion.to_full()]

    shortest, _ = choose_direct_skin_point(vol, lesion, min_needle_depth_mm=0.0)
    # straight down from the front skin, within the angle between neighbouring directions (about 11
    # degrees: 2 mm at 10 mm) and a voxel face
    assert shortest[1] == pytest.approx(SKIN_Y_MM - 0.5, abs=FACE_TOLERANCE_MM)
    old = _propose(vol, lesion, shortest)
    assert not _antenna_tip_in_bar(old)
    assert any("antenna tip would lie" in w for w in old.warnings), old.warnings

    skin, note = choose_direct_skin_point(vol, lesion, antenna_extension_mm=EXTENSION_MM, zone=EMPRINT_75W)
    new = _propose(vol, lesion, skin)
    assert _antenna_tip_in_bar(new), new.geometry.antenna_tip_lps(EXTENSION_MM)
    assert new.geometry.length_mm >= HELD_NEEDLE_DEPTH_MM - 1e-9  # floating point only
    assert _coverage(new, lesion_pts) == 1.0
    assert not any("antenna tip" in w and "beyond the bone" in w for w in new.warnings), new.warnings
    # in through the front skin, slanting along the bar (z), not round it
    assert skin[1] == pytest.approx(SKIN_Y_MM - 0.5, abs=FACE_TOLERANCE_MM)
    assert abs(skin[2]) > abs(skin[0])
    assert "the antenna tip inside the bone" in note
    # the antenna criterion alone, without the needle depth one, makes the same choice here
    alone, _ = choose_direct_skin_point(
        vol, lesion, antenna_extension_mm=EXTENSION_MM, zone=EMPRINT_75W, min_needle_depth_mm=0.0
    )
    assert _antenna_tip_in_bar(_propose(vol, lesion, alone))
    assert "the shortest clear path (10 mm) was not taken: the antenna tip would lie outside the bone" in note


def test_without_a_device_the_chosen_needle_is_held_by_the_tissue() -> None:
    """No zone: the needle goes to the lesion's near edge, 6 mm deep on the shortest path; the chosen
    path leaves it at least HELD_NEEDLE_DEPTH_MM deep and says so."""
    vol, lesion, _ = _rib_phantom()
    skin, note = choose_direct_skin_point(vol, lesion)
    p = propose_direct(vol, lesion, skin)
    # the near edge, within the sampling step and half a voxel
    assert p.geometry.length_mm >= HELD_NEEDLE_DEPTH_MM - FACE_TOLERANCE_MM
    assert f"at least {HELD_NEEDLE_DEPTH_MM:.0f} mm, so that the tissue holds the needle" in note
    assert "the shortest clear path (10 mm) was not taken: the needle tip would be only 6 mm deep" in note


def test_no_skin_in_the_image_is_said_as_such() -> None:
    """Tissue to the image's edge all round (a deep crop, like a pelvis patch): the refusal says the skin
    was not found, not that every path crosses bone."""
    vol, lesion, _ = _rib_phantom(hu_inside=40.0)
    with pytest.raises(PlanValidationError, match="the skin was not found"):
        choose_direct_skin_point(vol, lesion, antenna_extension_mm=EXTENSION_MM, zone=EMPRINT_75W)
    with pytest.raises(ValueError, match="min_needle_depth_mm"):
        choose_direct_skin_point(vol, lesion, min_needle_depth_mm=-1.0)


@pytest.mark.realdata
def test_real_rib_lesion_gets_a_route_whose_antenna_stays_in_the_bone(shared_data: Path) -> None:
    """bone-lesions case5 (anterior rib, sclerotic), ``"approach": "direct"`` with no skin point. The old
    choice was the 7 mm path straight in: the needle ended 3.5 mm under the skin and the antenna tip lay
    7.9 mm outside the bone. Now: the needle at least HELD_NEEDLE_DEPTH_MM deep, the antenna tip in bone
    (above the CLINICAL.md generic bone threshold, 130 HU, on the CT itself), the lesion covered, and
    neither warning."""
    from imaging.load import load_volume
    from planning.plan_runner import run_plan

    box = next(
        line.split(",")
        for line in (shared_data / "bone-lesions" / "lesion-boxes.csv").read_text().splitlines()[1:]
        if line.startswith("case5")
    )
    spec = {
        "targets": [{"name": "rib", "lesion_seed_lps": [float(v) for v in box[2:5]]}],
        "trajectories": [{"target": "rib", "approach": "direct"}],
        "needle": {"gauge": 11, "antenna_extension_mm": EXTENSION_MM},
        "ablation": {"profile": "Emprint 75 W 5 min"},
        "margin_mm": 2,
    }
    volume = load_volume(shared_data / "bone-lesions" / "case5.nii.gz").volume
    out = run_plan(volume, spec).to_json()
    t = out["trajectories"][0]
    assert t["length_mm"] >= HELD_NEEDLE_DEPTH_MM - 0.05  # the JSON's rounding to 0.01 mm
    tip_index = np.round(volume.lps_to_index_points(np.asarray(t["antenna_tip_lps"]))).astype(int)
    assert volume.array[tuple(tip_index)] > 130.0
    assert out["targets"][0]["coverage_percent"] == pytest.approx(100.0)
    assert not any("antenna tip" in w and "beyond the bone" in w for w in t["warnings"]), t["warnings"]
    assert not any("too close to the entry" in w for w in t["warnings"]), t["warnings"]
