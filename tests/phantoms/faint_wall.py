"""A vertebral level on thick slices whose posterior wall does not show, with its canal known by construction.

Models what abdomen-pelvis-ct shows at L1 (3 mm voxels): trabecular bone reads about 110 HU, below
the 150 HU bone threshold, and the posterior wall has no cortical peak (the HU steps straight from
the trabecular bone to the canal's ~10 HU), so the hole that pedicles and lamina enclose runs into
the body's interior. Positions LPS mm (+x left, +y posterior, +z superior), values HU, areas mm^2.

Construction (a head-first supine grid, slices ``slice_mm`` thick, each the mean of sub-slices so
that thick slices blur along z as a scanner's do):

- body: elliptic cylinder, semi-axes ``BODY_SEMI_AXES_MM``, height ``2 * BODY_HALF_HEIGHT_MM``,
  cortex ``CORTEX_MM`` at ``cortex_hu`` except on the posterior wall (within ``WALL_HALF_WIDTH_MM``
  of the midline, behind ``WALL_FROM_Y_MM``), which reads as trabecular bone;
- discs above and below (``DISC_HU``), soft tissue elsewhere;
- canal: a half disc of radius ``CANAL_RADIUS_MM`` centred ``CANAL_CENTRE_Y_MM`` behind the body's
  centre, and in front of it a box as wide reaching forward to the posterior wall, fluid at
  ``canal_hu``, running through the whole volume; outside the body;
- bony ring (pedicles and lamina) around the canal behind the body, ``RING_MM`` thick, only within
  ``RING_HALF_HEIGHT_MM`` of the body's mid-height (the pedicles' level).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.volume import Volume, affine_from_geometry

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

BODY_SEMI_AXES_MM = (20.0, 15.0)
BODY_HALF_HEIGHT_MM = 12.0
DISC_HALF_HEIGHT_MM = 20.0
CORTEX_MM = 1.5
WALL_HALF_WIDTH_MM = 9.0
WALL_FROM_Y_MM = 5.0
CANAL_RADIUS_MM = 8.5
CANAL_CENTRE_Y_MM = 23.5
RING_MM = 5.0
RING_HALF_HEIGHT_MM = 7.0
SOFT_TISSUE_HU = 40.0
DISC_HU = 80.0


@dataclass(frozen=True)
class FaintWallPhantom:
    """The volume and its truth (full-grid masks)."""

    volume: Volume
    body_mask: BoolArray
    canal_mask: BoolArray
    canal_centre_lps: FloatArray  # at the body's mid-height
    canal_area_mm2: float  # the section outside the body's ellipse (0.05 mm integration)
    ring_half_height_mm: float


def _canal_section(x: FloatArray, y: FloatArray) -> BoolArray:
    """The canal's section before the body is taken out: a half disc behind a box reaching the body."""
    disc = np.hypot(x, y - CANAL_CENTRE_Y_MM) <= CANAL_RADIUS_MM
    box = (np.abs(x) <= CANAL_RADIUS_MM) & (y >= 0.0) & (y <= CANAL_CENTRE_Y_MM)
    out: BoolArray = disc | box
    return out


def _distance_to_canal(x: FloatArray, y: FloatArray) -> FloatArray:
    """Distance (mm) from the canal's section (0 inside)."""
    to_disc = np.maximum(np.hypot(x, y - CANAL_CENTRE_Y_MM) - CANAL_RADIUS_MM, 0.0)
    dy = np.maximum(np.maximum(-y, y - CANAL_CENTRE_Y_MM), 0.0)
    to_box = np.hypot(np.maximum(np.abs(x) - CANAL_RADIUS_MM, 0.0), dy)
    out: FloatArray = np.minimum(to_disc, to_box)
    return out


def _tissue(
    x: FloatArray, y: FloatArray, z: FloatArray, *, trab: float, cortex: float, canal: float
) -> FloatArray:
    a, b = BODY_SEMI_AXES_MM
    r_body = np.sqrt((x / a) ** 2 + (y / b) ** 2)
    in_body = (r_body <= 1.0) & (np.abs(z) <= BODY_HALF_HEIGHT_MM)
    # the cortex: within CORTEX_MM of the ellipse (radial approximation) or of an endplate
    shell = (r_body >= 1.0 - CORTEX_MM / b) | (np.abs(z) >= BODY_HALF_HEIGHT_MM - CORTEX_MM)
    faint = (y >= WALL_FROM_Y_MM) & (np.abs(x) <= WALL_HALF_WIDTH_MM)
    in_canal = _canal_section(x, y) & ~in_body
    ring = (
        (_distance_to_canal(x, y) <= RING_MM)
        & ~in_canal
        & ~in_body
        & (y >= 0.0)
        & (np.abs(z) <= RING_HALF_HEIGHT_MM)
    )
    hu = np.full(x.shape, SOFT_TISSUE_HU)
    hu[(r_body <= 1.0) & (np.abs(z) <= DISC_HALF_HEIGHT_MM)] = DISC_HU
    hu[in_body] = trab
    hu[in_body & shell & ~faint] = cortex
    hu[ring] = cortex
    hu[in_canal] = canal
    return hu


def make_faint_wall_phantom(
    *,
    slice_mm: float = 3.0,
    pixel_mm: float = 1.0,
    trabecular_hu: float = 110.0,
    cortex_hu: float = 600.0,
    canal_hu: float = 10.0,
    noise_hu: float = 10.0,
    seed: int = 0,
) -> FaintWallPhantom:
    """Build the phantom: body centred at the LPS origin, canal behind it (+y).

    Parameters
    ----------
    slice_mm, pixel_mm
        Slice thickness (= spacing) and in-plane pixel size, mm.
    trabecular_hu, cortex_hu, canal_hu
        Tissue values (HU).
    noise_hu
        Standard deviation of seeded Gaussian noise (HU).
    seed
        Noise seed.

    Returns
    -------
    FaintWallPhantom
    """
    a, b = BODY_SEMI_AXES_MM
    lo = np.array([-a - 15.0, -b - 15.0, -DISC_HALF_HEIGHT_MM - 12.0])
    hi = np.array(
        [a + 15.0, CANAL_CENTRE_Y_MM + CANAL_RADIUS_MM + RING_MM + 12.0, DISC_HALF_HEIGHT_MM + 12.0]
    )
    shape = tuple(
        int(np.ceil((hi[i] - lo[i]) / s)) + 1 for i, s in ((2, slice_mm), (1, pixel_mm), (0, pixel_mm))
    )
    zs = lo[2] + slice_mm * np.arange(shape[0])
    ys = lo[1] + pixel_mm * np.arange(shape[1])
    xs = lo[0] + pixel_mm * np.arange(shape[2])
    y2, x2 = np.meshgrid(ys, xs, indexing="ij")
    hu = np.zeros(shape, dtype=np.float64)
    subs = (np.arange(5) + 0.5) / 5.0 - 0.5  # five sub-slices per slice: thick-slice partial volume
    for k, z in enumerate(zs):
        for s in subs:
            hu[k] += _tissue(
                x2,
                y2,
                np.full(x2.shape, z + s * slice_mm),
                trab=trabecular_hu,
                cortex=cortex_hu,
                canal=canal_hu,
            )
        hu[k] /= len(subs)
    rng = np.random.default_rng(seed)
    hu += rng.normal(0.0, noise_hu, size=hu.shape)
    matrix = affine_from_geometry(tuple(lo), (slice_mm, pixel_mm, pixel_mm), np.eye(3))
    z3 = zs[:, None, None]
    r_body = np.sqrt((x2 / a) ** 2 + (y2 / b) ** 2)[None]
    body = (r_body <= 1.0) & (np.abs(z3) <= BODY_HALF_HEIGHT_MM)
    in_canal2 = _canal_section(x2, y2) & (r_body[0] > 1.0)
    canal = np.broadcast_to(in_canal2, shape).copy()
    # closed-form area: the section minus the part inside the body's ellipse, on a 0.05 mm grid
    fx1 = np.arange(-CANAL_RADIUS_MM, CANAL_RADIUS_MM, 0.05) + 0.025
    fy1 = np.arange(0.0, CANAL_CENTRE_Y_MM + CANAL_RADIUS_MM, 0.05) + 0.025
    fy, fx = np.meshgrid(fy1, fx1, indexing="ij")
    inside = _canal_section(fx, fy) & ((fx / a) ** 2 + (fy / b) ** 2 > 1.0)
    area = float(inside.sum()) * 0.05**2
    centre = np.array([float(fx[inside].mean()), float(fy[inside].mean()), 0.0])
    return FaintWallPhantom(
        volume=Volume(np.rint(hu).astype(np.int16), matrix),
        body_mask=body,
        canal_mask=canal,
        canal_centre_lps=centre,
        canal_area_mm2=area,
        ring_half_height_mm=RING_HALF_HEIGHT_MM,
    )
