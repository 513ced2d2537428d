"""Trajectory geometry on constructed cases with closed-form answers.

Tolerances: angles 0.5 degrees (they are exact here up to rounding); distances to voxelised masks one
voxel (the largest spacing), since a mask only knows its surface to within a voxel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from planning.pedicle_clearance import BreachSide
from planning.trajectory import (
    DistanceField,
    TrajectoryGeometry,
    crossed_structures,
    find_skin_along_line,
    measure_trajectory,
    needle_distance,
    pedicle_clearance,
    pedicle_clearance_from_axis,
)


def grid_volume(
    shape: tuple[int, int, int],
    spacing_mm: tuple[float, float, float] = (1.0, 1.0, 1.0),
    origin_lps: tuple[float, float, float] = (-40.0, -40.0, -40.0),
    direction: np.ndarray | None = None,
    fill_hu: int = -1000,
) -> Volume:
    d = np.eye(3) if direction is None else direction
    return Volume(np.full(shape, fill_hu, dtype=np.int16), affine_from_geometry(origin_lps, spacing_mm, d))


def voxel_centres(volume: Volume) -> np.ndarray:
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in volume.shape], indexing="ij"), axis=-1)
    return volume.index_to_lps_points(idx.reshape(-1, 3).astype(float)).reshape((*volume.shape, 3))


def cylinder_mask(volume: Volume, point: np.ndarray, axis: np.ndarray, radius_mm: float) -> Mask:
    p = voxel_centres(volume) - point
    a = axis / np.linalg.norm(axis)
    along = p @ a
    perp2 = np.einsum("...i,...i->...", p, p) - along**2
    return Mask.from_full(perp2 <= radius_mm**2)


def direction_from_angles(cc_deg: float, ml_deg: float, posterior: bool = False) -> np.ndarray:
    cc, ml = math.radians(cc_deg), math.radians(ml_deg)
    y = math.cos(ml) * math.cos(cc) * (1.0 if posterior else -1.0)
    return np.array([math.sin(ml) * math.cos(cc), y, math.sin(cc)])


@pytest.mark.parametrize(
    ("cc_deg", "ml_deg", "posterior"),
    [(0.0, 0.0, False), (15.0, -20.0, False), (-25.0, 35.0, False), (10.0, 12.0, True), (-5.0, -40.0, True)],
)
def test_angles_of_constructed_directions(cc_deg: float, ml_deg: float, posterior: bool) -> None:
    entry = np.array([12.0, 80.0, -30.0])
    d = direction_from_angles(cc_deg, ml_deg, posterior)
    g = TrajectoryGeometry(tuple(entry), tuple(entry + 87.5 * d))
    assert g.length_mm == pytest.approx(87.5, abs=1e-9)
    assert g.craniocaudal_deg == pytest.approx(cc_deg, abs=0.5)
    assert g.mediolateral_deg == pytest.approx(ml_deg, abs=0.5)


def test_angle_signs() -> None:
    # pointing cranially (+z) is positive; towards the patient's left (+x) is positive
    up_left = TrajectoryGeometry((0.0, 50.0, 0.0), (10.0, 0.0, 10.0))
    assert up_left.craniocaudal_deg > 0
    assert up_left.mediolateral_deg > 0
    down_right = TrajectoryGeometry((0.0, 50.0, 0.0), (-10.0, 0.0, -10.0))
    assert down_right.craniocaudal_deg < 0
    assert down_right.mediolateral_deg < 0
    assert TrajectoryGeometry((0, 0, 0), (0, 0, 5)).mediolateral_deg == 0.0
    assert TrajectoryGeometry((0, 0, 0), (0, 0, 5)).craniocaudal_deg == pytest.approx(90.0)


def test_antenna_tip_lies_beyond_the_needle_tip() -> None:
    g = TrajectoryGeometry((0.0, 60.0, 0.0), (0.0, 0.0, 0.0))
    np.testing.assert_allclose(g.antenna_tip_lps(15.0), [0.0, -15.0, 0.0], atol=1e-9)
    g2 = TrajectoryGeometry((3.0, 4.0, 0.0), (0.0, 0.0, 0.0))  # length 5, direction (-0.6, -0.8, 0)
    np.testing.assert_allclose(g2.antenna_tip_lps(20.0), [-12.0, -16.0, 0.0], atol=1e-9)
    with pytest.raises(ValueError, match="antenna_extension_mm"):
        g.antenna_tip_lps(-1.0)


def test_zero_length_trajectory_is_refused() -> None:
    with pytest.raises(ValueError, match="zero-length"):
        TrajectoryGeometry((1.0, 2.0, 3.0), (1.0, 2.0, 3.0))


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (1.5, 0.7, 0.7)])
@pytest.mark.parametrize("axis_distance_mm", [20.0, 11.0, 4.0])
def test_needle_to_cylinder_canal_distance(
    spacing: tuple[float, float, float], axis_distance_mm: float
) -> None:
    shape = tuple(round(80 / s) for s in spacing)
    vol = grid_volume(shape, spacing)  # type: ignore[arg-type]
    canal_radius = 7.0
    canal = cylinder_mask(vol, np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), canal_radius)
    field = DistanceField(canal, vol.index_to_lps, pad_mm=25.0)
    r = 2.41 / 2
    # a needle in an axial plane, perpendicular to the canal, passing axis_distance_mm from its axis
    g = TrajectoryGeometry((-30.0, axis_distance_mm, 3.0), (30.0, axis_distance_mm, 3.0))
    nd = needle_distance(field, g, r)
    expected = axis_distance_mm - canal_radius - r
    assert nd.distance_mm == pytest.approx(expected, abs=max(spacing))
    assert nd.enters == (expected <= 0)
    assert abs(nd.closest_lps[0]) < 1.5  # closest where it crosses over the canal
    names = crossed_structures({"spinal canal": field}, g, r)
    if expected < -max(spacing):
        assert names == ["spinal canal"]
    elif expected > max(spacing):
        assert names == []


def test_distance_beyond_the_map_uses_the_exact_fallback() -> None:
    vol = grid_volume((80, 80, 80))
    canal = cylinder_mask(vol, np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), 5.0)
    field = DistanceField(canal, vol.index_to_lps, pad_mm=3.0)  # small map: the needle lies outside it
    g = TrajectoryGeometry((-30.0, 30.0, 0.0), (30.0, 30.0, 0.0))
    nd = needle_distance(field, g, 1.0)
    assert nd.distance_mm == pytest.approx(30.0 - 5.0 - 1.0, abs=1.0)


def test_non_orthogonal_grid_is_refused() -> None:
    m = affine_from_geometry((0, 0, 0), (1, 1, 1), np.eye(3))
    m[0, 0] = 0.5  # shear the slice axis
    mask = Mask.from_full(np.ones((4, 4, 4), dtype=bool))
    with pytest.raises(ValueError, match="orthogonal"):
        DistanceField(mask, m)


def test_skin_depth_in_a_cylindrical_body() -> None:
    vol = grid_volume((30, 140, 140), origin_lps=(-70.0, -70.0, -15.0))
    body = cylinder_mask(vol, np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), 55.0)
    vol.array[body.slices][body.array] = 40
    # from the centre, outward along +y (posterior) and obliquely
    for direction in (np.array([0.0, 1.0, 0.0]), np.array([0.6, 0.8, 0.0])):
        skin = find_skin_along_line(vol, (0.0, 0.0, 0.0), direction)
        assert skin.found
        assert skin.distance_mm == pytest.approx(55.0, abs=1.0)
    g = TrajectoryGeometry((0.0, 68.0, 0.0), (0.0, 0.0, 0.0))  # entry in air, tip at the centre
    m = measure_trajectory(
        vol,
        g,
        outer_diameter_mm=2.41,
        needle_length_mm=50.0,
        antenna_extension_mm=15.0,
        antenna_outer_diameter_mm=1.6,
    )
    assert m.skin_depth_mm == pytest.approx(55.0, abs=1.0)
    assert any("deeper than the 50 mm needle" in w for w in m.warnings)
    # the image ends before any air: depth is a lower bound and says so
    solid = grid_volume((30, 60, 60), origin_lps=(-30.0, -30.0, -15.0), fill_hu=40)
    s2 = find_skin_along_line(solid, (0.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    assert not s2.found
    assert s2.distance_mm == pytest.approx(29.0, abs=1.0)


@pytest.mark.parametrize("offset_mm", [0.0, 1.0, 2.5])
def test_pedicle_clearance_in_an_oblique_tube(offset_mm: float) -> None:
    vol = grid_volume((60, 60, 60), origin_lps=(-30.0, -30.0, -30.0))
    axis = np.array([0.3, -1.0, 0.2])
    axis /= np.linalg.norm(axis)
    tube_r = 4.0
    # a finite tube (the pedicle) 20 mm long around the origin
    p = voxel_centres(vol)
    along = p @ axis
    perp2 = np.einsum("...i,...i->...", p, p) - along**2
    pedicle = Mask.from_full((perp2 <= tube_r**2) & (np.abs(along) <= 10.0))
    side = np.cross(axis, [0.0, 0.0, 1.0])
    side /= np.linalg.norm(side)
    shift = offset_mm * side
    g = TrajectoryGeometry(tuple(shift - 28.0 * axis), tuple(shift + 25.0 * axis))
    r = 2.41 / 2
    pc = pedicle_clearance(pedicle, vol.index_to_lps, g, r, (0.0, 0.0, 0.0))
    assert pc.clearance_mm is not None
    assert pc.clearance_mm == pytest.approx(tube_r - offset_mm - r, abs=1.0)
    est = pedicle_clearance_from_axis(2 * tube_r, (0.0, 0.0, 0.0), g, r)
    assert est.clearance_mm == pytest.approx(tube_r - offset_mm - r, abs=1e-6)
    # a needle that misses the pedicle
    miss = TrajectoryGeometry(tuple(15.0 * side - 28.0 * axis), tuple(15.0 * side + 25.0 * axis))
    assert pedicle_clearance(pedicle, vol.index_to_lps, miss, r, (0.0, 0.0, 0.0)).clearance_mm is None


def test_measure_reports_canal_entry_and_antenna() -> None:
    vol = grid_volume((80, 80, 80))
    canal = cylinder_mask(vol, np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), 6.0)
    field = DistanceField(canal, vol.index_to_lps)
    # the needle stops 10 mm short of the canal surface; its 15 mm antenna goes on into the canal
    g = TrajectoryGeometry((0.0, 35.0, 0.0), (0.0, 16.0, 0.0))
    m = measure_trajectory(
        vol,
        g,
        outer_diameter_mm=2.41,
        needle_length_mm=150.0,
        antenna_extension_mm=15.0,
        antenna_outer_diameter_mm=1.6,
        canal=field,
    )
    assert m.canal_distance_mm == pytest.approx(16.0 - 6.0 - 1.205, abs=1.0)
    assert m.antenna_canal_distance_mm is not None and m.antenna_canal_distance_mm < 0
    assert any("antenna" in w and "canal" in w for w in m.warnings)
    assert not any("needle enters" in w for w in m.warnings)


def test_internal_air_is_not_the_skin() -> None:
    """A lung-like air pocket inside the body is crossed and reported; the skin lies beyond it. A thin
    table shell under the body, past an air gap, is not taken for more patient."""
    vol = grid_volume((30, 160, 140), origin_lps=(-70.0, -70.0, -15.0))
    body = cylinder_mask(vol, np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), 55.0)
    vol.array[body.slices][body.array] = 40
    p = voxel_centres(vol)
    lung = (np.abs(p[..., 0]) < 10) & (p[..., 1] > 15) & (p[..., 1] < 35)  # 20 mm of air inside
    vol.array[lung] = -850
    table = (p[..., 1] > 60) & (p[..., 1] < 62.5)  # 2.5 mm shell 5 mm below the skin
    vol.array[table] = 200
    skin = find_skin_along_line(vol, (0.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    assert skin.found
    assert skin.distance_mm == pytest.approx(55.0, abs=1.0)
    assert skin.internal_air_mm == pytest.approx(20.0, abs=1.0)
    g = TrajectoryGeometry((0.0, 70.0, 0.0), (0.0, 0.0, 0.0))
    m = measure_trajectory(
        vol,
        g,
        outer_diameter_mm=2.41,
        needle_length_mm=150.0,
        antenna_extension_mm=0.0,
        antenna_outer_diameter_mm=1.6,
    )
    assert m.skin_depth_mm == pytest.approx(55.0, abs=1.0)
    assert m.internal_air_mm == pytest.approx(20.0, abs=1.0)
    assert any("gas or air inside the body" in w for w in m.warnings)


@pytest.mark.parametrize("from_mask", [True, False])
@pytest.mark.parametrize(
    ("shift", "side"),
    [
        ("lateral", BreachSide.LATERAL),
        ("medial", BreachSide.MEDIAL),
        ("superior", BreachSide.SUPERIOR),
        ("inferior", BreachSide.INFERIOR),
        ("none", None),
    ],
)
def test_the_breached_pedicle_wall_is_named_from_the_needle(
    from_mask: bool, shift: str, side: BreachSide | None
) -> None:
    # a left pedicle (tube r 4 mm) whose axis converges on the midline as it runs anterior, beside a
    # canal (cylinder r 5 mm along z) 7 mm medial to it: a needle on the axis shifted 3.5 mm in each
    # direction across it breaches that wall (clearance 4 - 3.5 - 1.205 = -0.705 mm). A converging needle
    # shifted laterally breaches the lateral wall, though its tip lies nearer the midline than its entry
    vol = grid_volume((70, 90, 80), origin_lps=(-30.0, -50.0, -35.0))
    isthmus = np.array([12.0, 5.0, 0.0])
    axis = np.array([-0.25, -1.0, 0.0])
    axis /= np.linalg.norm(axis)
    p = voxel_centres(vol) - isthmus
    along = p @ axis
    perp2 = np.einsum("...i,...i->...", p, p) - along**2
    pedicle = Mask.from_full((perp2 <= 4.0**2) & (np.abs(along) <= 8.0))
    canal = cylinder_mask(vol, np.array([0.0, 8.0, 0.0]), np.array([0.0, 0.0, 1.0]), 5.0)
    lateral = np.cross([0.0, 0.0, 1.0], axis)  # across the needle, away from the midline (+x here)
    lateral /= np.linalg.norm(lateral)
    assert lateral[0] > 0
    offsets = {
        "lateral": lateral,
        "medial": -lateral,
        "superior": np.array([0.0, 0.0, 1.0]),
        "inferior": np.array([0.0, 0.0, -1.0]),
        "none": np.zeros(3),
    }
    centre = isthmus + 3.5 * offsets[shift]
    g = TrajectoryGeometry(tuple(centre - 30.0 * axis), tuple(centre + 20.0 * axis))
    assert abs(g.entry_lps[0]) > abs(g.target_lps[0])  # converging
    m = measure_trajectory(
        vol,
        g,
        outer_diameter_mm=2.41,
        needle_length_mm=150.0,
        antenna_extension_mm=0.0,
        antenna_outer_diameter_mm=1.6,
        canal=DistanceField(canal, vol.index_to_lps),
        pedicle_mask=pedicle if from_mask else None,
        pedicle_isthmus_lps=tuple(isthmus),
        pedicle_min_width_mm=8.0,
    )
    assert m.pedicle_clearance_mm is not None
    if side is None:
        assert m.pedicle_clearance_mm > 0 and m.pedicle_breach_side is None
        return
    assert m.pedicle_clearance_mm == pytest.approx(4.0 - 3.5 - 2.41 / 2, abs=1.0 if from_mask else 1e-6)
    assert m.canal_distance_mm is not None and m.canal_distance_mm > 0  # no shift enters the canal
    assert m.pedicle_breach_side is side
    assert any(f"on its {side.value} wall" in w for w in m.warnings)
