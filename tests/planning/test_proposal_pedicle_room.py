"""A proposed transpedicular needle keeps off the pedicle cortex when a straight path that does exists
(planning.pedicle_passage), and says so when none does; the pedicle mask's cut against the body is not
a wall (planning.pedicle_clearance with the body).

Phantom: the vertebra phantom's anatomy from its truth (tests/planning/test_proposals.py), its left
pedicle's upper medial part taken away over 10 mm around the isthmus (as a lytic defect would): the
section there is an L whose centroid lies 1 mm from the defect's corner, where a centred 13 G needle
breaches, while the L's inferior band (6 mm tall, 6-8 mm wide) holds it with 1.7 mm to spare.
Real data: the sample case's T9 found from the vertebra tool's click of QA s32 B. Positions LPS mm.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from imaging.mask import Mask
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.distance_field import DistanceField
from planning.model import DEFAULT_PEDICLE_SAFETY_MARGIN_MM
from planning.pedicle_passage import MAX_TARGET_SHIFT_MM
from planning.proposals import propose_transpedicular
from planning.trajectory import measure_trajectory
from tests.phantoms.vertebra import make_vertebra_phantom
from tests.planning.test_proposals import OD_13G, anatomy_from_truth, padded

ROOT = Path(__file__).resolve().parents[2]


def _with_defect(keep_lateral_mm: float, keep_inferior_mm: float) -> tuple[Volume, VertebraAnatomy]:
    """The phantom with the left pedicle's voxels medial of ``keep_lateral_mm`` (from the isthmus, across
    the axis) and above ``-keep_inferior_mm`` removed within 5 mm of the isthmus along the axis."""
    ph = make_vertebra_phantom(spacing_mm=(1.0, 1.0, 1.0), pedicle_min_width_mm=8.0)
    vol = padded(ph)
    anatomy = anatomy_from_truth(ph, "L3")
    axis = anatomy.pedicles[Side.LEFT]
    assert axis.mask is not None
    u = np.subtract(axis.axis_target_lps, axis.axis_entry_lps)
    u /= np.linalg.norm(u)
    sup = np.array([0.0, 0.0, 1.0]) - u[2] * u
    sup /= np.linalg.norm(sup)
    lat = np.cross(u, sup)
    lat *= np.sign(lat[0])  # the left pedicle's lateral side is +x
    idx = axis.mask.voxel_indices()
    rel = vol.index_to_lps_points(idx.astype(np.float64)) - np.asarray(axis.isthmus_lps)
    gone = (np.abs(rel @ u) <= 5.0) & (rel @ lat < keep_lateral_mm) & (rel @ sup > -keep_inferior_mm)
    arr = axis.mask.array.copy()
    local = idx[gone] - np.asarray(axis.mask.offset_index)
    arr[local[:, 0], local[:, 1], local[:, 2]] = False
    mask = Mask(arr, axis.mask.offset_index, axis.mask.grid_shape)
    hu = vol.array.copy()
    hu[idx[gone, 0], idx[gone, 1], idx[gone, 2]] = 30  # lytic
    pedicles = dict(anatomy.pedicles)
    pedicles[Side.LEFT] = dataclasses.replace(axis, mask=mask)
    return Volume(hu, vol.index_to_lps), dataclasses.replace(anatomy, pedicles=pedicles)


def _measured(vol: Volume, anatomy: VertebraAnatomy, geometry, od: float = OD_13G):  # type: ignore[no-untyped-def]
    axis = anatomy.pedicles[Side.LEFT]
    return measure_trajectory(
        vol,
        geometry,
        outer_diameter_mm=od,
        needle_length_mm=150.0,
        antenna_extension_mm=0.0,
        antenna_outer_diameter_mm=1.6,
        canal=DistanceField(anatomy.safety_canal, vol.index_to_lps),
        pedicle_mask=axis.mask,
        pedicle_isthmus_lps=axis.isthmus_lps,
        pedicle_min_width_mm=axis.min_width_mm,
        body=anatomy.body,
    )


def test_a_proposal_finds_the_room_left_in_a_pedicle_with_a_defect() -> None:
    vol, anatomy = _with_defect(keep_lateral_mm=1.0, keep_inferior_mm=1.0)
    plain = propose_transpedicular(vol, anatomy, Side.LEFT, outer_diameter_mm=OD_13G)
    m = _measured(vol, anatomy, plain.geometry)
    assert m.pedicle_clearance_mm is not None
    # the L's inferior band, 6 mm tall, holds the 2.41 mm needle with about 1.7 mm each side
    assert m.pedicle_clearance_mm >= DEFAULT_PEDICLE_SAFETY_MARGIN_MM / 2.0, plain.warnings
    assert not any("breaches" in w for w in m.warnings)
    assert not plain.narrow and plain.alternative is None
    assert any("needle moved" in w and "room from the pedicle cortex" in w for w in plain.warnings)
    assert m.canal_distance_mm is not None and m.canal_distance_mm >= DEFAULT_PEDICLE_SAFETY_MARGIN_MM
    # the tip stays in the target region: within MAX_TARGET_SHIFT_MM of the intact pedicle's proposal
    ph = make_vertebra_phantom(spacing_mm=(1.0, 1.0, 1.0), pedicle_min_width_mm=8.0)
    intact = propose_transpedicular(
        padded(ph), anatomy_from_truth(ph, "L3"), Side.LEFT, outer_diameter_mm=OD_13G
    )
    assert np.linalg.norm(np.subtract(plain.target_lps, intact.target_lps)) <= MAX_TARGET_SHIFT_MM + 1e-6


def test_no_straight_path_through_the_pedicle_is_said_and_another_route_proposed() -> None:
    # left of the section: a 2 mm lateral strip and a 2 mm inferior band, too thin for a 2.41 mm needle
    vol, anatomy = _with_defect(keep_lateral_mm=2.0, keep_inferior_mm=5.0)
    p = propose_transpedicular(vol, anatomy, Side.LEFT, outer_diameter_mm=OD_13G)
    assert p.narrow
    assert p.alternative is not None and p.route is p.alternative
    assert any("no straight path through the left pedicle" in w for w in p.warnings), p.warnings


def test_sample_case_t9_left_proposal_does_not_breach() -> None:
    """QA s32 B: the vertebra tool's click on T9, Propose left: the readout said -0.8 mm, lateral wall."""
    from imaging.load import load_volume
    from imaging.vertebra import find_vertebra

    vol = load_volume(ROOT / "resources" / "sample_case").volume
    anatomy = find_vertebra(vol, np.array([-10.082579495614027, 125.0539336622807, -68.5]))
    assert Side.LEFT in anatomy.pedicles
    p = propose_transpedicular(vol, anatomy, Side.LEFT, outer_diameter_mm=OD_13G, antenna_extension_mm=15.0)
    m = _measured(vol, anatomy, p.geometry)
    assert m.pedicle_clearance_mm is not None and m.pedicle_clearance_mm >= 0.0, m.warnings
    assert not any("breaches" in w for w in m.warnings)
