"""Room between an access needle and the pedicle cortex around the pedicle's isthmus.

Frames and units: LPS mm; the pedicle mask on the volume's ``[slice, row, col]`` grid, placed by its
4x4 ``index_to_lps`` matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from planning.grid_sampling import sample_trilinear
from planning.trajectory_geometry import FloatArray, Point, TrajectoryGeometry, as_point, point_tuple


@dataclass(frozen=True)
class PedicleClearance:
    """Room between the needle surface and the pedicle cortex around the pedicle's isthmus.

    ``clearance_mm`` is the smallest distance from the needle surface to the pedicle's outer
    surface at the isthmus (negative = the needle breaches the cortex), measured by rays across the
    needle in its cross-sections a voxel apart within ``window_mm`` of the isthmus: in each ray's
    direction the wall lies at the median of its distances over those cross-sections
    (of two, the nearer), and the clearance is the nearest of these walls. Cross-sections, not the
    nearest surface in any direction, so the places where the needle deliberately enters the
    pedicle (posteriorly) and leaves it (into the body) do not count; the median, not the nearest
    over the cross-sections, so a mask that ends or is notched there (a segmented pedicle can: its
    traced sections stop near the isthmus, its front is ragged at the pedicle's base) does not put
    a wall where its end face or notch crosses one cross-section. None when the needle's axis lies
    outside the pedicle there (it misses it, or breaches it by more than its radius).
    When the vertebral body's mask is given, bone of the body counts as inside: where the pedicle
    meets the body (its base, where a thoracic pedicle's isthmus often lies) the pedicle mask is cut
    off against the body mask, and that cut is not a cortex a needle can breach (QA s32 B: a needle
    along the sample case's T9 left pedicle axis read -0.8 mm "lateral wall" at the cut, with bone of
    the body, 300-450 HU, for 3 mm beyond it).
    ``method`` says how it was measured: ``"mask"`` (rays in the pedicle mask) or ``"axis"`` (from
    the pedicle's narrowest width and the needle's offset from the isthmus, when no mask exists).
    """

    clearance_mm: float | None
    closest_lps: Point | None
    method: str
    #: unit vector across the needle, from its axis towards that cortex point, or, when the needle
    #: breaches the cortex, towards the part of the needle outside the pedicle (None: not known)
    toward_wall: Point | None = None


def pedicle_clearance(
    pedicle: Mask,
    index_to_lps: npt.ArrayLike,
    geometry: TrajectoryGeometry,
    radius_mm: float,
    isthmus_lps: Sequence[float],
    *,
    window_mm: float = 1.0,
    max_ray_mm: float = 10.0,
    directions: int = 24,
    body: Mask | None = None,
) -> PedicleClearance:
    """Smallest needle-surface-to-cortex distance around the isthmus (see :class:`PedicleClearance`).

    Parameters
    ----------
    pedicle
        The pedicle's bone mask (cortex included).
    index_to_lps
        4x4 matrix of the mask's grid.
    geometry
        The needle line.
    radius_mm
        Needle outer radius.
    isthmus_lps
        The pedicle's narrowest point (LPS mm).
    window_mm
        Half-length of the needle stretch examined around the point nearest the isthmus; its
        cross-sections lie a voxel apart, centred on that point. One millimetre: the isthmus
        cross-section and its neighbours. A wider stretch reaches where a segmented pedicle mask
        ends or flares (on the chest CT it ends at the isthmus and its width doubles within 3 mm
        behind it; on the vertebra phantom it ends 1.5-2 mm behind it and is notched 3 mm in front).
    max_ray_mm, directions
        Ray length and number of rays per cross-section (clearances beyond the ray length are
        reported as the ray length minus the radius).
    body
        The vertebral body's mask on the same grid, when known: its bone counts as inside, so the
        pedicle mask's cut against the body is not read as a wall.
    """
    m = np.asarray(index_to_lps, dtype=np.float64)
    inv = np.linalg.inv(m)
    # rays sampled every half voxel; the surface is interpolated between samples
    step = 0.5 * float(np.linalg.norm(m[:3, :3], axis=0).min())
    e = np.asarray(geometry.entry_lps)
    d = geometry.direction_lps
    t_isth = float(np.clip((as_point(isthmus_lps, "isthmus_lps") - e) @ d, 0.0, geometry.length_mm))
    n = int(np.floor(window_mm / (2 * step) + 1e-9))
    t = t_isth + 2 * step * np.arange(-n, n + 1)
    t = t[(t >= 0.0) & (t <= geometry.length_mm)]
    centres = e + t[:, None] * d
    parts = [(pedicle.array.astype(np.float32), np.asarray(pedicle.offset_index, dtype=np.float64))]
    if body is not None and body.any():
        parts.append(_body_near(body, pedicle, max_ray_mm + window_mm, m))

    def inside(points: FloatArray) -> FloatArray:
        idx = points.reshape(-1, 3) @ inv[:3, :3].T + inv[:3, 3]
        out = sample_trilinear(parts[0][0], idx - parts[0][1], outside=0.0)
        for values, off in parts[1:]:
            out = np.maximum(out, sample_trilinear(values, idx - off, outside=0.0))
        return out

    ok = inside(centres) >= 0.5
    if not ok.any():
        return PedicleClearance(None, None, "mask")
    centres = centres[ok]
    a = np.cross(d, [1.0, 0.0, 0.0] if abs(d[0]) < 0.9 else [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(d, a)
    ang = np.linspace(0.0, 2 * np.pi, directions, endpoint=False)
    rays = np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * b  # (R, 3)
    r = np.arange(0.0, max_ray_mm + step, step)  # (S,)
    pts = centres[:, None, None, :] + r[None, None, :, None] * rays[None, :, None, :]  # (C, R, S, 3)
    v = inside(pts).reshape(len(centres), directions, len(r))
    out = v < 0.5
    first = np.where(out.any(axis=2), out.argmax(axis=2), len(r) - 1)
    # linear interpolation of the 0.5 crossing between the last inside and first outside sample
    k1 = np.maximum(first, 1)
    k0 = k1 - 1
    v0 = np.take_along_axis(v, k0[..., None], axis=2)[..., 0]
    v1 = np.take_along_axis(v, k1[..., None], axis=2)[..., 0]
    frac = np.clip((v0 - 0.5) / np.maximum(v0 - v1, 1e-9), 0.0, 1.0)
    dist = r[k0] + frac * step  # (C, R)
    # the wall in each direction: the median over the cross-sections (the lower one of an even count:
    # of two, the nearer). At the isthmus, the pedicle's narrowest place, its walls move little along
    # the needle, while a cross-section cut through the mask's end face or a notch in it finds a
    # "wall" a fraction of a millimetre away, in whatever direction that face runs: the nearest over
    # the cross-sections took it (on the vertebra phantom's segmented pedicle, a needle moved
    # laterally breached its "inferior wall")
    wall = np.sort(dist, axis=0)[(len(dist) - 1) // 2]  # (R,)
    # ties (a needle axis on the cortex is 0 mm from it in every direction): the direction the mask
    # falls off fastest, read one sample out
    tied = wall <= wall.min() + 1e-6
    beyond = np.sort(v[:, :, min(1, len(r) - 1)], axis=0)[(len(dist) - 1) // 2]
    ri = int(np.argmin(np.where(tied, beyond, np.inf)))
    p = e + t_isth * d + wall[ri] * rays[ri]
    return PedicleClearance(
        float(wall[ri]) - radius_mm, point_tuple(p), "mask", _breached_way(wall, rays, ri, radius_mm)
    )


def _body_near(
    body: Mask, pedicle: Mask, reach_mm: float, index_to_lps: FloatArray
) -> tuple[npt.NDArray[np.float32], FloatArray]:
    """The body mask (as float, with its offset) cropped to the pedicle's box grown by ``reach_mm``."""
    pad = np.ceil(reach_mm / np.linalg.norm(index_to_lps[:3, :3], axis=0)).astype(np.int64) + 1
    lo = np.asarray(pedicle.offset_index, dtype=np.int64) - pad
    hi = np.asarray(pedicle.offset_index, dtype=np.int64) + np.asarray(pedicle.array.shape) + pad
    boff = np.asarray(body.offset_index, dtype=np.int64)
    a = np.clip(lo - boff, 0, body.array.shape)
    b = np.clip(hi - boff, 0, body.array.shape)
    crop = body.array[a[0] : b[0], a[1] : b[1], a[2] : b[2]].astype(np.float32)
    return crop, (boff + a).astype(np.float64)


def pedicle_clearance_from_axis(
    min_width_mm: float, isthmus_lps: Sequence[float], geometry: TrajectoryGeometry, radius_mm: float
) -> PedicleClearance:
    """Clearance estimated without a mask: half the narrowest width, less the needle's offset from the
    isthmus and its radius (mm, may be negative)."""
    p = as_point(isthmus_lps, "isthmus_lps")
    e = np.asarray(geometry.entry_lps)
    d = geometry.direction_lps
    v = p - e
    towards_needle = (v @ d) * d - v  # from the isthmus to the needle axis, across the needle
    offset = float(np.linalg.norm(towards_needle))
    # the cortex the needle comes closest to: half the width from the isthmus, on the needle's side
    if offset < 1e-9:  # on the isthmus: every wall equally far
        return PedicleClearance(min_width_mm / 2.0 - radius_mm, None, "axis")
    toward = towards_needle / offset
    closest = point_tuple(p + toward * (min_width_mm / 2.0))
    return PedicleClearance(min_width_mm / 2.0 - offset - radius_mm, closest, "axis", point_tuple(toward))


class BreachSide(StrEnum):
    """Which wall of the pedicle a needle comes closest to (breaches, when its clearance is negative)."""

    MEDIAL = "medial"  # towards the spinal canal
    LATERAL = "lateral"
    SUPERIOR = "superior"
    INFERIOR = "inferior"  # towards the exiting nerve root in the foramen below the pedicle


def breach_side(
    geometry: TrajectoryGeometry, toward_wall: npt.ArrayLike, towards_canal: npt.ArrayLike
) -> BreachSide | None:
    """The pedicle wall in the direction ``toward_wall`` from the needle (as seen across it): medial
    (on the side of ``towards_canal``, e.g. down the canal's distance gradient), lateral, superior or
    inferior; None when ``toward_wall`` runs along the needle or ``towards_canal`` gives no side.

    The cross-section is split into four 90 degree sectors around the superior direction (LPS +z
    made perpendicular to the needle) and the medial one (level across the needle, perpendicular to
    the superior one, on the canal's side). The canal's direction gives only the side, not the axis:
    near the top or bottom of a canal mask its distance gradient tilts up or down (the segmented
    canal of the vertebra phantom ends at the end plates), and the sectors turned with it named a
    superior breach medial. A needle along z has no up or down: there the medial direction is the
    canal's, made perpendicular to the needle.
    """
    d = geometry.direction_lps

    def across(v: npt.ArrayLike) -> FloatArray:
        a = np.asarray(v, dtype=np.float64).reshape(3)
        out: FloatArray = a - (a @ d) * d
        return out

    wall, canal = across(toward_wall), across(towards_canal)
    if np.linalg.norm(wall) < 1e-9 or np.linalg.norm(canal) < 1e-9:
        return None
    superior = np.array([0.0, 0.0, 1.0]) - d[2] * d
    if np.linalg.norm(superior) < 1e-9:  # a needle along z: no up or down in its cross-section
        medial = canal / np.linalg.norm(canal)
        superior = np.cross(d, medial)
    else:
        superior /= np.linalg.norm(superior)
        medial = np.cross(superior, d)
        side = float(canal @ medial) / float(np.linalg.norm(canal))
        if abs(side) < 1e-6:  # the canal straight above or below the needle: no medial side
            return None
        medial *= np.sign(side)
    m, s = float(wall @ medial), float(wall @ superior)
    if abs(m) >= abs(s):
        return BreachSide.MEDIAL if m > 0 else BreachSide.LATERAL
    return BreachSide.SUPERIOR if s > 0 else BreachSide.INFERIOR


def _breached_way(wall_mm: FloatArray, rays: FloatArray, nearest: int, radius_mm: float) -> Point:
    """Across the needle, towards the part of it outside the pedicle: the rays' directions weighted by
    how far the needle reaches past the wall along them. The nearest wall alone can lie elsewhere when
    the mask's outline has a step near the needle (a needle half below a voxel mask's narrower bottom
    slice is nearer that slice's side than its bottom); a needle clear of the wall, or one bulging out
    evenly all round, is turned towards the nearest wall point."""
    past = np.clip(radius_mm - wall_mm, 0.0, None)
    way = past @ rays
    if float(np.linalg.norm(way)) <= 1e-6 * max(float(past.sum()), 1e-9):
        return point_tuple(rays[nearest])
    return point_tuple(way / np.linalg.norm(way))
