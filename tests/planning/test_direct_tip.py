"""Direct proposals centre the predicted zone on the lesion and keep the antenna tip in the bone.

Phantom: a soft-tissue body (40 HU) in air, a bone block in it (250 HU marrow in a 2 mm 1000 HU cortex)
holding a lytic sphere (20 HU, radius 8 mm) centred at the origin; the needle comes in along +x from
the body's skin at x = -40 mm. Zone: 32 x 32 x 35 mm, centre 11.5 mm behind the antenna tip (the Emprint
75 W 5 min figures of CLINICAL.md); antenna 15 mm beyond the needle tip (CLINICAL.md default).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from planning.ablation import zones_along_trajectory
from planning.direct_route import propose_direct
from planning.direct_tip import ANTENNA_TIP_BONE_CLEARANCE_MM
from planning.proposal_base import Proposal
from planning.zone_model import ZoneModel

EMPRINT_75W = ZoneModel(32.0, 35.0, 11.5, "test: Emprint 75 W 5 min (CLINICAL.md)", False)
EXTENSION_MM = 15.0
LESION_RADIUS_MM = 8.0
#: zone centre to lesion centroid, drawn back positions excepted: half the 1 mm voxel plus the sampling
#: step along the route (a quarter voxel)
CENTRE_TOLERANCE_MM = 1.0


def _phantom(block_far_x_mm: float) -> tuple[Volume, Mask, npt.NDArray[np.float64]]:
    """The body, the bone block from x = -20 mm to ``block_far_x_mm`` (cortex included), the lesion."""
    shape = (70, 70, 110)  # z, y, x at 1 mm
    m = affine_from_geometry((-55.0, -35.0, -35.0), (1.0, 1.0, 1.0), np.eye(3))
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1).astype(float)
    pts = idx @ m[:3, :3].T + m[:3, 3]
    x, y, z = pts[..., 0], pts[..., 1], pts[..., 2]
    body = (np.abs(x - 0.0) <= 40.0) & (np.abs(y) <= 30.0) & (np.abs(z) <= 30.0)
    hu = np.where(body, 40, -1000).astype(np.int16)
    block = (x >= -20.0) & (x <= block_far_x_mm) & (np.abs(y) <= 16.0) & (np.abs(z) <= 16.0)
    marrow = (x >= -18.0) & (x <= block_far_x_mm - 2.0) & (np.abs(y) <= 14.0) & (np.abs(z) <= 14.0)
    hu[block] = 1000
    hu[marrow] = 250
    lesion = np.sum(pts**2, axis=-1) <= LESION_RADIUS_MM**2
    hu[lesion] = 20
    return Volume(hu, m), Mask.from_full(lesion), pts


def _zone_centre_and_antenna_tip(p: Proposal) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    zone = zones_along_trajectory(
        p.geometry,
        antenna_extension_mm=EXTENSION_MM,
        width_mm=EMPRINT_75W.width_mm,
        length_mm=EMPRINT_75W.length_mm,
        center_behind_tip_mm=EMPRINT_75W.center_behind_tip_mm,
    )[0]
    return np.asarray(zone.center_lps), np.asarray(p.geometry.antenna_tip_lps(EXTENSION_MM))


def _coverage(p: Proposal, lesion_pts: npt.NDArray[np.float64]) -> float:
    zone = zones_along_trajectory(
        p.geometry,
        antenna_extension_mm=EXTENSION_MM,
        width_mm=EMPRINT_75W.width_mm,
        length_mm=EMPRINT_75W.length_mm,
        center_behind_tip_mm=EMPRINT_75W.center_behind_tip_mm,
    )[0]
    return float(np.mean(zone.contains(lesion_pts)))


def test_direct_zone_centred_on_the_lesion_with_the_antenna_tip_in_the_bone() -> None:
    """Bone enough beyond the lesion: the zone's centre lies on the lesion's centroid (within 1 mm), the
    whole lesion is inside the zone, and the antenna tip lies inside the block. The old code put the
    needle tip at the lesion's far edge: its zone centre lay 11.5 mm past the centroid."""
    vol, lesion, pts = _phantom(block_far_x_mm=30.0)
    centroid = pts[lesion.to_full()].mean(axis=0)
    p = propose_direct(vol, lesion, (-40.0, 0.0, 0.0), antenna_extension_mm=EXTENSION_MM, zone=EMPRINT_75W)
    centre, antenna_tip = _zone_centre_and_antenna_tip(p)
    assert np.linalg.norm(centre - centroid) <= CENTRE_TOLERANCE_MM
    assert _coverage(p, pts[lesion.to_full()]) == 1.0
    # the antenna tip lies inside the block, short of its far face
    assert -20.0 < antenna_tip[0] < 30.0 - ANTENNA_TIP_BONE_CLEARANCE_MM + 0.5
    assert p.warnings == ()


def test_direct_needle_drawn_back_to_keep_the_antenna_tip_in_thin_bone() -> None:
    """The block's far face lies 10.5 mm past the lesion's centre: centred, the antenna tip (11.5 mm past
    the centre) would lie 1 mm beyond it. The needle is drawn back until the tip is the clearance inside
    the block (2 mm back); the lesion stays covered and the warning says so."""
    vol, lesion, pts = _phantom(block_far_x_mm=10.0)
    face_mm = 10.5  # voxel faces
    centroid = pts[lesion.to_full()].mean(axis=0)
    p = propose_direct(vol, lesion, (-40.0, 0.0, 0.0), antenna_extension_mm=EXTENSION_MM, zone=EMPRINT_75W)
    centre, antenna_tip = _zone_centre_and_antenna_tip(p)
    # the tip stays the clearance short of the far face, within the sampling step (a quarter voxel) and
    # half a voxel of nearest-voxel reading
    expected_tip_x = face_mm - ANTENNA_TIP_BONE_CLEARANCE_MM
    assert antenna_tip[0] == pytest.approx(expected_tip_x, abs=0.75)
    short = float(np.linalg.norm(centre - centroid))
    assert short == pytest.approx(EMPRINT_75W.center_behind_tip_mm - expected_tip_x, abs=0.75)
    assert _coverage(p, pts[lesion.to_full()]) > 0.99
    assert any(w.startswith(f"needle tip drawn back {short:.1f} mm") for w in p.warnings), p.warnings


def test_direct_without_a_device_goes_to_the_near_edge_and_says_so() -> None:
    vol, lesion, _ = _phantom(block_far_x_mm=30.0)
    p = propose_direct(vol, lesion, (-40.0, 0.0, 0.0))
    # the near edge of the 8 mm sphere along +x, within the sampling step and half a voxel
    assert p.target_lps[0] == pytest.approx(-LESION_RADIUS_MM, abs=0.75)
    assert any("no ablation device chosen" in w for w in p.warnings)
