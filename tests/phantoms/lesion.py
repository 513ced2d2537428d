"""Seeded bone phantoms with lesions of known shape, volume and type (truth known in closed form).

The scene is defined in LPS mm around the origin and rasterised at voxel centres on the grid asked for
(isotropic 1 mm or anisotropic, e.g. 2 mm slices of 0.8 x 0.8 mm pixels):

* a bone cylinder along LPS z (a vertebral-body-like block): radius ``BONE_RADIUS_MM``, length
  ``BONE_LENGTH_MM``, a cortical shell and end plates ``CORTEX_MM`` thick at ``CORTEX_HU``, trabecular
  bone inside at ``TRABECULAR_HU``;
* a fat sleeve around it out to ``FAT_RADIUS_MM`` (``FAT_HU``), soft tissue (``SOFT_TISSUE_HU``) beyond
  and above/below;
* a lesion: lytic sphere (r 8 mm, or large: r 11 mm), blastic sphere, lytic union of two spheres,
  blastic ellipsoid, mixed sphere (lytic half, blastic half), mottled sphere (interleaved lytic and
  sclerotic layers ``MOTTLED_LAYER_MM`` thick whose mean is the trabecular HU: the seed's voxel lies in
  a gap of normal bone on the plane where two layers meet, so its ball has the HU of normal bone), or a
  lytic sphere breaking through the
  cortex into the fat;
* Gaussian noise ``NOISE_HU`` (seeded).

Each builder returns the volume, the truth mask (voxel centres inside the lesion's shape), the lesion's
volume in closed form (sphere 4/3 pi r^3, ellipsoid 4/3 pi abc, union of spheres by the lens formula),
its type, a seed inside it and the filled bone truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from imaging.lesion_model import LesionType
from imaging.volume import Volume, affine_from_geometry

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

CORTEX_HU = 1200.0
TRABECULAR_HU = 200.0
SOFT_TISSUE_HU = 40.0
FAT_HU = -100.0
LYTIC_HU = 30.0
BLASTIC_HU = 700.0
NOISE_HU = 20.0
BONE_RADIUS_MM = 16.0
BONE_LENGTH_MM = 50.0
CORTEX_MM = 2.0
FAT_RADIUS_MM = 24.0
#: sclerotic cells of the mottled sphere: as far above the trabecular HU as the lytic cells lie below
MOTTLED_SCLEROTIC_HU = 2.0 * TRABECULAR_HU - LYTIC_HU
MOTTLED_LAYER_MM = 6.0
#: the normal-valued gap around the mottled sphere's seed, on the plane where two layers meet
MOTTLED_GAP_MM = 6.0
FIELD_MM = (64.0, 72.0, 72.0)  # z, y, x extent of the grid


class PhantomLesion(StrEnum):
    """Which lesion the phantom holds."""

    LYTIC_SPHERE = "lytic-sphere"
    LYTIC_LARGE = "lytic-large"
    BLASTIC_SPHERE = "blastic-sphere"
    LYTIC_IRREGULAR = "lytic-irregular"
    BLASTIC_ELLIPSOID = "blastic-ellipsoid"
    MIXED_SPHERE = "mixed-sphere"
    MOTTLED_SPHERE = "mottled-sphere"
    LYTIC_BREAKTHROUGH = "lytic-breakthrough"
    NONE = "none"


@dataclass(frozen=True)
class LesionPhantom:
    """A phantom and its truth."""

    volume: Volume
    truth: BoolArray
    truth_volume_ml: float
    lesion_type: LesionType | None
    seed_lps: tuple[float, float, float]
    bone_truth: BoolArray
    breaks_cortex: bool


def grid(spacing_mm: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> tuple[FloatArray, tuple[int, int, int]]:
    """An axial ``index_to_lps`` centred on LPS (0, 0, 0) covering ``FIELD_MM``, and its shape."""
    shape = tuple(round(f / s) for f, s in zip(FIELD_MM, spacing_mm, strict=True))
    # voxel centres symmetric about 0 on every axis
    origin_zyx = [-(n - 1) * s / 2.0 for n, s in zip(shape, spacing_mm, strict=True)]
    affine = affine_from_geometry((origin_zyx[2], origin_zyx[1], origin_zyx[0]), spacing_mm, np.eye(3))
    return affine, (shape[0], shape[1], shape[2])


@dataclass(frozen=True)
class BoneCylinder:
    """The phantom's bone on its grid, before any lesion or noise: HU, and each voxel's LPS ``x, y, z``
    and distance from the cylinder's axis (mm)."""

    affine: FloatArray
    shape: tuple[int, int, int]
    hu: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray
    r_axis: FloatArray
    bone: BoolArray
    marrow: BoolArray


def bone_cylinder(
    spacing_mm: tuple[float, float, float] = (1.0, 1.0, 1.0), *, fat: bool = True
) -> BoneCylinder:
    """Soft tissue, the fat sleeve (``fat``), the cortical shell and the trabecular marrow of
    :func:`lesion_phantom`, on :func:`grid`'s grid."""
    affine, shape = grid(spacing_mm)
    idx = np.indices(shape, dtype=np.float64).reshape(3, -1).T
    pts = idx @ affine[:3, :3].T + affine[:3, 3]
    x, y, z = (pts[:, i].reshape(shape) for i in range(3))
    r_axis = np.hypot(x, y)
    half = BONE_LENGTH_MM / 2.0
    bone = (r_axis <= BONE_RADIUS_MM) & (np.abs(z) <= half)
    marrow = (r_axis <= BONE_RADIUS_MM - CORTEX_MM) & (np.abs(z) <= half - CORTEX_MM)
    hu = np.full(shape, SOFT_TISSUE_HU)
    if fat:
        hu[(r_axis <= FAT_RADIUS_MM) & (np.abs(z) <= half)] = FAT_HU
    hu[bone] = CORTEX_HU
    hu[marrow] = TRABECULAR_HU
    return BoneCylinder(affine, shape, hu, x, y, z, r_axis, bone, marrow)


def lesion_phantom(
    lesion: PhantomLesion | str,
    *,
    spacing_mm: tuple[float, float, float] = (1.0, 1.0, 1.0),
    seed: int = 0,
    noise_hu: float = NOISE_HU,
) -> LesionPhantom:
    """Build a bone phantom holding one lesion.

    Parameters
    ----------
    lesion
        Which lesion (:class:`PhantomLesion`).
    spacing_mm
        ``(slice, row, col)`` spacing in mm.
    seed
        Seed of the noise generator.
    noise_hu
        Standard deviation of the Gaussian noise (HU).
    """
    kind = PhantomLesion(lesion)
    cyl = bone_cylinder(spacing_mm)
    affine, shape, hu, bone = cyl.affine, cyl.shape, cyl.hu, cyl.bone
    x, y, z, r_axis = cyl.x, cyl.y, cyl.z, cyl.r_axis

    truth = np.zeros(shape, dtype=bool)
    volume_mm3 = 0.0
    lesion_type: LesionType | None = None
    seed_lps = (0.0, 0.0, 0.0)
    breaks = False

    def ball(c: tuple[float, float, float], r: float) -> BoolArray:
        out: BoolArray = (x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2 <= r * r
        return out

    if kind is PhantomLesion.LYTIC_SPHERE:
        c, r = (2.0, -1.5, 3.0), 8.0
        truth = ball(c, r)
        volume_mm3 = 4.0 / 3.0 * np.pi * r**3
        hu[truth] = LYTIC_HU
        lesion_type, seed_lps = LesionType.LYTIC, c
    elif kind is PhantomLesion.LYTIC_LARGE:
        # r = 11 mm: larger than the reference shell, so the shell around the seed is all lesion
        c, r = (0.0, 0.5, -2.0), 11.0
        truth = ball(c, r)
        volume_mm3 = 4.0 / 3.0 * np.pi * r**3
        hu[truth] = LYTIC_HU
        lesion_type, seed_lps = LesionType.LYTIC, c
    elif kind is PhantomLesion.BLASTIC_SPHERE:
        c, r = (-1.0, 2.0, -4.0), 7.0
        truth = ball(c, r)
        volume_mm3 = 4.0 / 3.0 * np.pi * r**3
        hu[truth] = BLASTIC_HU
        lesion_type, seed_lps = LesionType.BLASTIC, c
    elif kind is PhantomLesion.LYTIC_IRREGULAR:
        c1, r1 = (-2.0, 0.0, 2.0), 7.0
        c2, r2 = (5.0, 3.0, -4.0), 5.0
        truth = ball(c1, r1) | ball(c2, r2)
        d = float(np.linalg.norm(np.subtract(c1, c2)))
        volume_mm3 = 4.0 / 3.0 * np.pi * (r1**3 + r2**3) - _lens_mm3(r1, r2, d)
        hu[truth] = LYTIC_HU
        lesion_type, seed_lps = LesionType.LYTIC, c1
    elif kind is PhantomLesion.BLASTIC_ELLIPSOID:
        c, (a, b, cc) = (1.0, -1.0, 2.0), (9.0, 6.0, 5.0)
        truth = ((x - c[0]) / a) ** 2 + ((y - c[1]) / b) ** 2 + ((z - c[2]) / cc) ** 2 <= 1.0
        volume_mm3 = 4.0 / 3.0 * np.pi * a * b * cc
        hu[truth] = BLASTIC_HU
        lesion_type, seed_lps = LesionType.BLASTIC, c
    elif kind is PhantomLesion.MIXED_SPHERE:
        c, r = (0.0, 1.0, 0.0), 9.0
        truth = ball(c, r)
        volume_mm3 = 4.0 / 3.0 * np.pi * r**3
        hu[truth & (x < c[0])] = LYTIC_HU
        hu[truth & (x >= c[0])] = BLASTIC_HU
        # the centre of the lytic half's largest inscribed ball (4.5 mm from the interface and the rim): a
        # voxel centre on the 1 mm grid, 0.1 mm from one on the 0.8 mm grid (a seed stands for its voxel,
        # imaging.lesion_seed; 4 mm was a face between two voxels on both)
        lesion_type, seed_lps = LesionType.MIXED, (c[0] - 4.5, c[1], c[2])
    elif kind is PhantomLesion.MOTTLED_SPHERE:
        # c is a voxel centre on every grid (the seed stands for its voxel, imaging.lesion_seed) on the
        # plane where a lytic and a sclerotic layer meet; around c that plane of voxels holds their mean,
        # normal bone (a normal-valued gap between foci, MOTTLED_GAP_MM across), so the seed's ball holds
        # as many voxels of each layer and its median HU is that of normal bone
        c, r = (spacing_mm[2] / 2.0, spacing_mm[1] / 2.0, spacing_mm[0] / 2.0), 10.0
        truth = ball(c, r)
        volume_mm3 = 4.0 / 3.0 * np.pi * r**3
        lytic_layer = np.floor((x - c[0]) / MOTTLED_LAYER_MM + 1e-9) % 2 == 0
        hu[truth & lytic_layer] = LYTIC_HU
        hu[truth & ~lytic_layer] = MOTTLED_SCLEROTIC_HU
        gap = (np.abs(x - c[0]) < 1e-6) & ball(c, MOTTLED_GAP_MM / 2.0)
        hu[gap] = (LYTIC_HU + MOTTLED_SCLEROTIC_HU) / 2.0
        lesion_type, seed_lps = LesionType.MIXED, c
    elif kind is PhantomLesion.LYTIC_BREAKTHROUGH:
        # centred 12 mm from the axis along +y (posterior): reaches 20 mm, 4 mm into the fat sleeve
        c, r = (0.0, 12.0, 1.0), 8.0
        truth = ball(c, r)
        volume_mm3 = 4.0 / 3.0 * np.pi * r**3
        hu[truth] = LYTIC_HU
        lesion_type, seed_lps, breaks = LesionType.LYTIC, (0.0, 10.0, 1.0), True
    rng = np.random.default_rng(seed)
    hu = hu + rng.normal(0.0, noise_hu, size=shape)
    volume = Volume(hu.astype(np.float32), affine)
    # a lesion inside the bone is inside the filled bone; where it passes through, the cortex is gone
    broken = truth & (r_axis > BONE_RADIUS_MM - CORTEX_MM)
    bone_truth = bone & ~broken if breaks else bone | truth
    return LesionPhantom(
        volume=volume,
        truth=truth,
        truth_volume_ml=volume_mm3 / 1000.0,
        lesion_type=lesion_type,
        seed_lps=(float(seed_lps[0]), float(seed_lps[1]), float(seed_lps[2])),
        bone_truth=bone_truth,
        breaks_cortex=breaks,
    )


def _lens_mm3(r1: float, r2: float, d: float) -> float:
    """Volume (mm^3) of the intersection of two spheres of radii r1, r2 whose centres are d apart."""
    if d >= r1 + r2:
        return 0.0
    if d <= abs(r1 - r2):
        return 4.0 / 3.0 * np.pi * min(r1, r2) ** 3
    return float(np.pi * (r1 + r2 - d) ** 2 * (d**2 + 2 * d * (r1 + r2) - 3 * (r1 - r2) ** 2) / (12.0 * d))


def dice(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Dice overlap of two boolean arrays of the same shape."""
    aa = np.asarray(a, dtype=bool)
    bb = np.asarray(b, dtype=bool)
    total = int(aa.sum()) + int(bb.sum())
    return 1.0 if total == 0 else 2.0 * float(np.logical_and(aa, bb).sum()) / total
