"""Vertebra phantoms with a basivertebral foramen or a lytic breach of the posterior wall at the midline.

Built on :func:`tests.phantoms.vertebra.make_vertebra_phantom` (no blur, no noise), then painted in the
phantom's local frame (+x left, +y posterior, +z superior; mm from the body centre) and blurred and
noised the way that module does. Positions LPS mm; HU.

- foramen: an opening through the posterior cortex, ``width_mm`` across and ``height_mm`` tall (an
  ellipse in the wall's plane), centred ``(x_mm, z_mm)`` from the midline and mid-height, continued into
  the body as the basivertebral canal: a channel tapering from the opening's size to nothing at
  ``depth_mm`` in front of the wall, filled with venous blood (40 HU).
- lytic breach: a sphere of lesion tissue (30 HU) of radius ``radius_mm`` whose centre lies
  ``inset_mm`` in front of the posterior wall at ``(x_mm, z_mm)``.
- both: a foramen at the midline and a lytic breach beside it (:func:`with_foramen_and_breach`).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import ndimage

from imaging.volume import Volume
from tests.phantoms.vertebra import LESION_HU, SOFT_TISSUE_HU, VertebraPhantom, make_vertebra_phantom

BLUR_MM = 0.4  # the vertebra phantom's default point spread


def _local(ph: VertebraPhantom) -> np.ndarray:
    idx = np.stack(np.indices(ph.volume.shape), axis=-1).astype(np.float64)
    return (ph.volume.index_to_lps_points(idx) - ph.center_lps) @ ph.local_to_lps_rotation


def _finish(ph: VertebraPhantom, hu: np.ndarray, noise_hu: float, seed: int) -> VertebraPhantom:
    spacing = np.asarray(ph.volume.spacing_mm, dtype=np.float64)
    out = ndimage.gaussian_filter(hu, sigma=BLUR_MM / spacing, mode="nearest")
    if noise_hu > 0:
        out = out + np.random.default_rng(seed).normal(0.0, noise_hu, size=out.shape)
    array = np.clip(np.rint(out), -1024, 3071).astype(np.int16)
    return replace(ph, volume=Volume(array, ph.volume.index_to_lps))


def wall_y_mm(ph: VertebraPhantom, x_mm: float) -> float:
    """The body's posterior surface (local y, mm) at local x."""
    a, b = ph.body_semi_axes_mm
    return b * math.sqrt(max(0.0, 1.0 - (x_mm / a) ** 2))


def with_foramen(
    *,
    width_mm: float,
    height_mm: float,
    depth_mm: float,
    x_mm: float = 0.0,
    z_mm: float = 0.0,
    noise_hu: float = 10.0,
    seed: int = 0,
    **phantom_args: object,
) -> tuple[VertebraPhantom, np.ndarray]:
    """A phantom with a basivertebral foramen; returns it and the opening's centre (LPS mm)."""
    ph = make_vertebra_phantom(noise_hu=0.0, blur_mm=0.0, seed=seed, **phantom_args)  # type: ignore[arg-type]
    hu = ph.volume.array.astype(np.float64)
    centre = _paint_foramen(
        ph, hu, width_mm=width_mm, height_mm=height_mm, depth_mm=depth_mm, x_mm=x_mm, z_mm=z_mm
    )
    return _finish(ph, hu, noise_hu, seed), centre


def with_foramen_and_breach(
    *,
    foramen_mm: tuple[float, float, float],
    radius_mm: float,
    inset_mm: float,
    x_mm: float,
    noise_hu: float = 10.0,
    seed: int = 0,
    **phantom_args: object,
) -> tuple[VertebraPhantom, np.ndarray, np.ndarray]:
    """A foramen (width, height, depth mm) at the midline and mid-height and a lytic breach ``x_mm`` from
    the midline; returns the phantom, the foramen's opening and the breach's centre on the wall (LPS mm)."""
    ph = make_vertebra_phantom(noise_hu=0.0, blur_mm=0.0, seed=seed, **phantom_args)  # type: ignore[arg-type]
    hu = ph.volume.array.astype(np.float64)
    width, height, depth = foramen_mm
    foramen = _paint_foramen(ph, hu, width_mm=width, height_mm=height, depth_mm=depth, x_mm=0.0, z_mm=0.0)
    breach = _paint_breach(ph, hu, radius_mm=radius_mm, inset_mm=inset_mm, x_mm=x_mm, z_mm=0.0)
    return _finish(ph, hu, noise_hu, seed), foramen, breach


def with_lytic_breach(
    *,
    radius_mm: float,
    inset_mm: float,
    x_mm: float = 0.0,
    z_mm: float = 0.0,
    noise_hu: float = 10.0,
    seed: int = 0,
    **phantom_args: object,
) -> tuple[VertebraPhantom, np.ndarray]:
    """A phantom with a lytic sphere breaking the posterior wall; returns it and the breach's centre
    on the wall (LPS mm)."""
    ph = make_vertebra_phantom(noise_hu=0.0, blur_mm=0.0, seed=seed, **phantom_args)  # type: ignore[arg-type]
    hu = ph.volume.array.astype(np.float64)
    breach = _paint_breach(ph, hu, radius_mm=radius_mm, inset_mm=inset_mm, x_mm=x_mm, z_mm=z_mm)
    return _finish(ph, hu, noise_hu, seed), breach


def _paint_foramen(
    ph: VertebraPhantom,
    hu: np.ndarray,
    *,
    width_mm: float,
    height_mm: float,
    depth_mm: float,
    x_mm: float,
    z_mm: float,
) -> np.ndarray:
    """Paints the foramen's channel into ``hu``; returns the opening's centre (LPS mm)."""
    loc = _local(ph)
    x, y, z = loc[..., 0], loc[..., 1], loc[..., 2]
    wy = wall_y_mm(ph, x_mm)
    # the fraction of the opening's size left at each depth in front of the wall (1 at the wall, 0 at
    # depth_mm); behind the wall (y > wy) the opening keeps its size through the cortex
    frac = np.clip(1.0 - (wy - y) / depth_mm, 0.0, 1.0)
    frac = np.where(y > wy, 1.0, frac)
    ell = ((x - x_mm) / (0.5 * width_mm)) ** 2 + ((z - z_mm) / (0.5 * height_mm)) ** 2
    channel = (ell <= frac**2) & (frac > 0) & ph.body_mask
    hu[channel] = SOFT_TISSUE_HU
    centre: np.ndarray = ph.center_lps + ph.local_to_lps_rotation @ np.array([x_mm, wy, z_mm])
    return centre


def _paint_breach(
    ph: VertebraPhantom, hu: np.ndarray, *, radius_mm: float, inset_mm: float, x_mm: float, z_mm: float
) -> np.ndarray:
    """Paints the lytic sphere into ``hu``; returns the breach's centre on the wall (LPS mm)."""
    loc = _local(ph)
    wy = wall_y_mm(ph, x_mm)
    centre_local = np.array([x_mm, wy - inset_mm, z_mm])
    lesion = (np.linalg.norm(loc - centre_local, axis=-1) <= radius_mm) & ph.body_mask
    hu[lesion] = LESION_HU
    breach: np.ndarray = ph.center_lps + ph.local_to_lps_rotation @ np.array([x_mm, wy, z_mm])
    return breach
