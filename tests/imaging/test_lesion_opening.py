"""The grown lesion's last opening follows the lesion's own thickness (imaging.lesion_grow.final_opening).

Phantoms on a 1 mm grid: trabecular bone (200 HU, CLINICAL.md: 226 +- 44 HU at L1) in a cortical shell,
with a blastic focus of 450 HU (below the 654 +- 176 HU mean, as bone-lesions case1's focus of about
400 HU), 20 HU noise.

- A sclerotic plate 3 mm thick, off the grid (a plate does not line up with the voxels): two slices lie
  wholly in it, one three quarters and one a quarter, so its band at the edge half way between bone and
  focus is about 3 voxels thick. Before, the 1 mm opening (on a 1 mm grid the 6-neighbour cross) took its
  rim and every part of it thinner than 3 voxels: 15-21 % of it. On case1's plate, whose band is 2-3
  voxels thick, it kept only scraps, and the lesion was the scrap at the seed's ball (or, when none
  touched it, the unopened lesion): 0.019-0.250 mL over 27 seeds one voxel apart.
- A sclerotic ball joined by a thin neck to a sclerotic layer lining the cortex: the neck is cut.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.lesion import segment_lesion
from imaging.lesion_grow import LesionParameters, final_opening, half_thickness_mm
from imaging.lesion_model import LesionType
from imaging.volume import Volume, affine_from_geometry

BoolArray = npt.NDArray[np.bool_]

TRABECULAR_HU = 200.0
BLASTIC_HU = 450.0
CORTEX_HU = 1200.0
SOFT_TISSUE_HU = 40.0
NOISE_HU = 20.0
HALF_MM = 30  # the grid spans -30..29 mm along each axis, 1 mm voxels
BLOCK_MM = 24.0  # half size of the bone block
CORTEX_MM = 2.0
PLATE_Z_MM = (-0.75, 2.25)  # 3 mm thick, its faces a quarter of a voxel into slice -1 and 3/4 into 2
PLATE_HALF_MM = (7.0, 6.0)  # half extents in y, x: 14 x 12 mm, as case1's focus (12 x 10 mm)
BALL_RADIUS_MM = 5.0
NECK_MM = 2  # the neck's cross-section, 2 x 2 voxels, thinner than the 1 mm opening's 3-voxel cross
LAYER_Y_MM = (9.0, 13.0)  # the sclerotic layer, 4 mm thick, reached by the neck from the ball's surface


def _block() -> tuple[npt.NDArray[np.float64], tuple[npt.NDArray[np.float64], ...]]:
    axis = np.arange(-HALF_MM, HALF_MM, dtype=np.float64)
    z, y, x = np.meshgrid(axis, axis, axis, indexing="ij")
    inside = (np.abs(z) < BLOCK_MM) & (np.abs(y) < BLOCK_MM) & (np.abs(x) < BLOCK_MM)
    marrow = (np.abs(z) < BLOCK_MM - CORTEX_MM) & (np.abs(y) < BLOCK_MM - CORTEX_MM)
    marrow &= np.abs(x) < BLOCK_MM - CORTEX_MM
    hu = np.full(z.shape, SOFT_TISSUE_HU)
    hu[inside] = CORTEX_HU
    hu[marrow] = TRABECULAR_HU
    return hu, (z, y, x)


def _volume(hu: npt.NDArray[np.float64], seed: int) -> Volume:
    hu = hu + np.random.default_rng(seed).normal(0.0, NOISE_HU, hu.shape)
    affine = affine_from_geometry((-HALF_MM, -HALF_MM, -HALF_MM), (1.0, 1.0, 1.0), np.eye(3))
    return Volume(hu.astype(np.float32), affine)


def _plate_phantom(seed: int = 0) -> Volume:
    return _volume(_plate_hu()[0], seed)


def _plate_hu() -> tuple[npt.NDArray[np.float64], tuple[npt.NDArray[np.float64], ...]]:
    hu, (z, y, x) = _block()
    # the share of each voxel (1 mm along z) inside the plate: partial volume at its two faces
    lo, hi = PLATE_Z_MM
    share = np.clip(np.minimum(z + 0.5, hi) - np.maximum(z - 0.5, lo), 0.0, 1.0)
    share[(np.abs(y) >= PLATE_HALF_MM[0]) | (np.abs(x) >= PLATE_HALF_MM[1])] = 0.0
    hu += share * (BLASTIC_HU - TRABECULAR_HU)
    return hu, (z, y, x)


# the voxels more than half in the plate: slices 0-2, 13 x 11 voxel centres inside its faces (1 mm^3 each)
PLATE_ML = 3 * 13 * 11 / 1000.0


def test_a_thin_sclerotic_plate_keeps_its_volume_from_every_seed_one_voxel_apart() -> None:
    volume = _plate_phantom()
    volumes = []
    for offset in np.ndindex(3, 3, 3):
        # 27 seeds one voxel apart: slices 0 and 1 (wholly in the plate) and 2 (3/4 in it)
        seed = (float(offset[2] - 1), float(offset[1] - 1), float(offset[0]))
        lesion = segment_lesion(volume, seed)
        assert lesion.type is LesionType.BLASTIC
        volumes.append(lesion.volume_ml)
    # the edge lies half way between bone and focus: the lesion is the plate's voxels more than half in
    # it, 0.429 mL; within an eighth of that (measured 0.424-0.465 mL, -1 % to +8 %; before, with the
    # 1 mm opening, 0.337-0.364 mL, -21 % to -15 %)
    assert min(volumes) >= 0.875 * PLATE_ML and max(volumes) <= 1.125 * PLATE_ML, volumes


def _neck_phantom(seed: int = 0) -> tuple[Volume, BoolArray, BoolArray]:
    """(volume, ball, layer): the ball at the origin, the neck along +y to the layer."""
    hu, (z, y, x) = _block()
    ball = z**2 + y**2 + x**2 <= BALL_RADIUS_MM**2
    neck = (z >= 0) & (z < NECK_MM) & (x >= 0) & (x < NECK_MM) & (y > 0) & (y < LAYER_Y_MM[0])
    layer = (y >= LAYER_Y_MM[0]) & (y < LAYER_Y_MM[1]) & (np.abs(z) < 12.0) & (np.abs(x) < 12.0)
    hu[ball | neck | layer] = BLASTIC_HU
    return _volume(hu, seed), ball, layer


def test_a_sclerotic_ball_is_cut_from_the_layer_it_joins_by_a_thin_neck() -> None:
    volume, ball, layer = _neck_phantom()
    lesion = segment_lesion(volume, (0.0, 0.0, 0.0))
    mask = lesion.mask.to_full()
    assert lesion.type is LesionType.BLASTIC
    assert not (mask & layer).any()
    assert np.count_nonzero(mask & ball) >= 0.85 * np.count_nonzero(ball)
    assert np.count_nonzero(mask) <= 1.15 * np.count_nonzero(ball)


def test_without_the_opening_the_ball_runs_through_the_neck_into_the_layer() -> None:
    # the leak the opening cuts, kept visible: the layer is grown with the ball when nothing cuts it, up
    # to the growth limit (twice the ball's radius from the seed): 62 voxels of it measured
    volume, _, layer = _neck_phantom()
    p = LesionParameters(opening_radius_mm=0.0)
    lesion = segment_lesion(volume, (0.0, 0.0, 0.0), parameters=p)
    assert np.count_nonzero(lesion.mask.to_full() & layer) >= 50


def test_half_thickness_of_plates_and_the_opening_it_allows() -> None:
    spacing = (1.0, 1.0, 1.0)
    for n, half in ((2, 0.5), (3, 1.5), (4, 1.5), (5, 2.5)):
        plate = np.zeros((9, 20, 20), dtype=bool)
        plate[2 : 2 + n, 3:17, 3:17] = True
        assert half_thickness_mm(plate, spacing) == half
        # a plate up to 4 voxels thick is kept whole; one 5 voxels thick is opened (its rim corners go)
        kept = final_opening(plate, plate, spacing, LesionParameters())
        assert (np.array_equal(kept, plate)) == (n <= 4)


LYTIC_HU = 20.0  # soft-tissue density: a lytic part (CLINICAL.md: lytic metastasis about 50 HU)
LYTIC_CENTRE_MM = (7.0, 0.0, 3.0)  # (z, y, x): a ball on the plate's upper face, away from the seed
LYTIC_RADIUS_MM = 4.5


def _mixed_phantom(seed: int = 0) -> tuple[Volume, BoolArray, BoolArray]:
    """(volume, plate, lytic ball): B2's 3 mm sclerotic plate with a thick lytic ball on its face."""
    hu, (z, y, x) = _plate_hu()
    cz, cy, cx = LYTIC_CENTRE_MM
    ball = (z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= LYTIC_RADIUS_MM**2
    hu[ball] = LYTIC_HU
    lo, hi = PLATE_Z_MM
    plate = (z + 0.5 > lo) & (z - 0.5 < hi) & (np.abs(y) < PLATE_HALF_MM[0]) & (np.abs(x) < PLATE_HALF_MM[1])
    plate &= np.clip(np.minimum(z + 0.5, hi) - np.maximum(z - 0.5, lo), 0.0, 1.0) > 0.5
    return _volume(hu, seed), plate, ball


def test_a_thin_sclerotic_plate_is_not_opened_at_the_scale_of_a_thick_lytic_part_it_joins() -> None:
    # the final opening's scale is the seeded kind's own thickness (the plate's), not that of the other
    # kind joined to it (already opened on its own). Before, the lytic ball's depth (4 mm) set a 1 mm
    # opening that took the plate's rim and split it: bone-lesions case7 lesion 2 from one seed kept 539
    # of its 2,453 grown voxels (0.540 mL against 2.9 mL from its neighbours), its sclerotic growth being
    # 1.7 mm deep and its joined lytic part 2.7 mm. Measured: 401 of the plate's 429 voxels (before,
    # 330); over 27 seeds one voxel apart 356-429 (before, from 292)
    volume, plate, ball = _mixed_phantom()
    seed = (-3.0, -3.0, 1.0)  # (x, y, z) LPS: in the plate's middle slice, 4.5 mm off the lytic ball
    lesion = segment_lesion(volume, seed)
    mask = lesion.mask.to_full()
    assert np.count_nonzero(mask & plate) >= 0.875 * np.count_nonzero(plate), (
        np.count_nonzero(mask & plate),
        np.count_nonzero(plate),
    )
    # the lytic part is joined (how much of it depends on the growth limit, which a seed's scale
    # estimate sets: 144-371 of its 389 voxels over 27 seeds one voxel apart, with or without this fix)
    assert lesion.type is LesionType.MIXED and (mask & ball).any()
