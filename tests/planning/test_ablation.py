"""Ablation zones: placement along the antenna, voxelisation in the bounding box, unions, distances.

Closed-form truths: the ellipsoid volume 4/3*pi*a*b*c (voxel count within 2 % at 1 mm), the sphere
lens volume for two overlapping spheres, and a brute-force point-to-ellipse distance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from imaging.volume import affine_from_geometry
from planning.ablation import (
    AblationZone,
    max_union_depth_mm,
    min_union_depth_mm,
    union_contains,
    union_signed_depth_mm,
    voxelise_zones,
    zones_along_trajectory,
)
from planning.errors import PlanValidationError
from planning.trajectory import TrajectoryGeometry

GRID = (120, 120, 120)
M = affine_from_geometry((-60.0, -60.0, -60.0), (1.0, 1.0, 1.0), np.eye(3))


def lens_volume_mm3(r1: float, r2: float, d: float) -> float:
    """Volume of the intersection of two spheres with centres ``d`` apart."""
    if d >= r1 + r2:
        return 0.0
    if d <= abs(r1 - r2):
        return 4.0 / 3.0 * math.pi * min(r1, r2) ** 3
    return math.pi * (r1 + r2 - d) ** 2 * (d * d + 2 * d * (r1 + r2) - 3 * (r1 - r2) ** 2) / (12 * d)


def test_zone_centre_lies_behind_the_antenna_tip() -> None:
    # needle from posterior to anterior along -y; tip at the origin
    g = TrajectoryGeometry((0.0, 80.0, 0.0), (0.0, 0.0, 0.0))
    zones = zones_along_trajectory(
        g,
        antenna_extension_mm=15.0,
        width_mm=35.0,
        length_mm=37.0,
        center_behind_tip_mm=11.5,
        pullback_mm=(0.0, 20.0),
    )
    # antenna tip at y = -15; centre 11.5 mm behind it (towards the entry): y = -3.5; then 20 mm further back
    np.testing.assert_allclose(zones[0].center_lps, [0.0, -3.5, 0.0], atol=1e-9)
    np.testing.assert_allclose(zones[1].center_lps, [0.0, 16.5, 0.0], atol=1e-9)
    np.testing.assert_allclose(zones[0].axis_lps, [0.0, -1.0, 0.0], atol=1e-12)
    # the zone reaches length/2 - centre_behind = 7 mm beyond the antenna tip
    lo, _hi = zones[0].bbox_lps()
    assert lo[1] == pytest.approx(-15.0 - 7.0, abs=1e-9)
    with pytest.raises(PlanValidationError, match="pullback_mm"):
        zones_along_trajectory(
            g,
            antenna_extension_mm=15.0,
            width_mm=35.0,
            length_mm=37.0,
            center_behind_tip_mm=11.5,
            pullback_mm=(-1.0,),
        )
    with pytest.raises(PlanValidationError, match="pullback_mm"):
        zones_along_trajectory(
            g,
            antenna_extension_mm=15.0,
            width_mm=35.0,
            length_mm=37.0,
            center_behind_tip_mm=11.5,
            pullback_mm=(90.0,),
        )


@pytest.mark.parametrize(
    ("width", "length", "axis"),
    [
        (35.0, 37.0, (0.0, -1.0, 0.0)),
        (32.0, 35.0, (0.3, -0.8, 0.5)),
        (24.0, 36.0, (1.0, 1.0, 1.0)),
        (30.0, 30.0, (0, 0, 1)),
    ],
)
def test_voxelised_volume_matches_the_ellipsoid(
    width: float, length: float, axis: tuple[float, float, float]
) -> None:
    z = AblationZone((1.3, -2.7, 4.1), axis, width, length)
    mask = voxelise_zones([z], M, GRID)
    analytic_ml = 4.0 / 3.0 * math.pi * (length / 2) * (width / 2) ** 2 / 1000.0
    assert z.volume_ml == pytest.approx(analytic_ml, rel=1e-12)
    assert mask.count() / 1000.0 == pytest.approx(analytic_ml, rel=0.02)
    # computed in the bounding box only: the mask's box is the ellipsoid's box (shape is [z, y, x] here)
    lo, hi = z.bbox_lps()
    extent = np.asarray(hi) - np.asarray(lo)
    assert np.all(np.abs(np.asarray(mask.array.shape) - extent[::-1]) <= 2.0)


def test_voxelisation_on_an_anisotropic_oblique_grid() -> None:
    c, s = math.cos(0.4), math.sin(0.4)
    direction = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    m = affine_from_geometry((-40.0, -40.0, -30.0), (1.25, 0.7, 0.7), direction)
    z = AblationZone((0.0, 0.0, 0.0), (0.2, 0.5, 0.8), 30.0, 40.0)
    mask = voxelise_zones([z], m, (60, 120, 120))
    voxel_ml = 1.25 * 0.7 * 0.7 / 1000.0
    assert mask.count() * voxel_ml == pytest.approx(z.volume_ml, rel=0.02)


@pytest.mark.parametrize("distance_mm", [0.0, 8.0, 20.0, 40.0])
def test_union_of_two_spheres_matches_the_lens_formula(distance_mm: float) -> None:
    r = 15.0
    a = AblationZone((-distance_mm / 2, 0.0, 0.0), (0, 0, 1), 2 * r, 2 * r)
    b = AblationZone((distance_mm / 2, 0.0, 0.0), (0, 0, 1), 2 * r, 2 * r)
    union = voxelise_zones([a, b], M, GRID)
    sphere = 4.0 / 3.0 * math.pi * r**3
    expected_mm3 = 2 * sphere - lens_volume_mm3(r, r, distance_mm)
    assert union.count() == pytest.approx(expected_mm3, rel=0.02)


def test_zone_outside_the_grid_gives_an_empty_mask() -> None:
    z = AblationZone((500.0, 0.0, 0.0), (0, 0, 1), 30.0, 30.0)
    assert not voxelise_zones([z], M, GRID).any()
    assert not voxelise_zones([], M, GRID).any()


def test_signed_depth_is_exact_against_brute_force() -> None:
    z = AblationZone((2.0, 1.0, -3.0), (0.0, 0.6, 0.8), 24.0, 36.0)
    rng = np.random.default_rng(3)
    pts = np.asarray(z.center_lps) + rng.normal(0.0, 14.0, size=(300, 3))
    # dense surface sampling of the spheroid
    a, b = z.semi_axes_mm
    t, phi = np.meshgrid(np.linspace(0, np.pi, 700), np.linspace(0, 2 * np.pi, 700), indexing="ij")
    u = np.asarray(z.axis_lps)
    e1 = np.cross(u, [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(u, e1)
    surf = (
        np.asarray(z.center_lps)
        + (a * np.cos(t))[..., None] * u
        + (b * np.sin(t) * np.cos(phi))[..., None] * e1
        + (b * np.sin(t) * np.sin(phi))[..., None] * e2
    ).reshape(-1, 3)
    from scipy.spatial import cKDTree

    brute, _ = cKDTree(surf).query(pts)
    sd = z.signed_depth_mm(pts)
    np.testing.assert_allclose(np.abs(sd), brute, atol=0.15)  # surface sampling step ~0.1 mm
    np.testing.assert_array_equal(sd > 0, z.contains(pts))
    lo, hi = z.depth_bounds_mm(pts)
    assert np.all(lo <= sd + 1e-9) and np.all(sd <= hi + 1e-9)


def test_union_depth_min_and_max_with_pruning_match_the_full_computation() -> None:
    zones = [
        AblationZone((0.0, 0.0, 0.0), (0, 1, 0), 30.0, 36.0),
        AblationZone((0.0, -20.0, 0.0), (0, 1, 0), 30.0, 36.0),
    ]
    rng = np.random.default_rng(5)
    pts = rng.uniform(-40, 30, size=(2000, 3))
    full = union_signed_depth_mm(zones, pts)
    mn, i = min_union_depth_mm(zones, pts)
    mx, j = max_union_depth_mm(zones, pts)
    assert mn == pytest.approx(full.min(), abs=1e-9) and full[i] == pytest.approx(mn)
    assert mx == pytest.approx(full.max(), abs=1e-9) and full[j] == pytest.approx(mx)
    np.testing.assert_array_equal(union_contains(zones, pts), full >= 0)


def test_zone_values_are_checked() -> None:
    with pytest.raises(PlanValidationError, match="width_mm"):
        AblationZone((0, 0, 0), (0, 0, 1), 0.0, 30.0)
    with pytest.raises(ValueError, match="axis_lps"):
        AblationZone((0, 0, 0), (0, 0, 0), 30.0, 30.0)
    z = AblationZone((0, 0, 0), (0, 0, 2), 30.0, 36.0, source="src", unverified=True, trajectory_index=1)
    j = z.to_json()
    assert j["trajectory"] == 1 and j["axis_lps"] == [0.0, 0.0, 1.0] and j["width_mm"] == 30.0
    assert j["length_mm"] == 36.0 and j["unverified"] is True
