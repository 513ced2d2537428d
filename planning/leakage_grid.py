"""Voxel-grid geometry for the leakage-risk zones: the vertebra's local frame, a region of interest
around the body, and distances to voxel faces and surfaces.

Arrays are boolean or float boxes on a region of the volume's grid ``[slice, row, col]``; distances in
mm; positions and directions LPS. The vertebra's local frame: AP axis from the body centroid to the
canal centroid (posterior), SI axis the patient's superior direction made orthogonal to it, LR axis
their cross product (patient left). Used by :mod:`planning.leakage_map` and the modules it builds the
zones with (:mod:`planning.leakage_zone`, :mod:`planning.leakage_foramen`, :mod:`planning.leakage_defects`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.mask import Mask
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning.errors import PlanValidationError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Roi:
    """A box of the volume's grid around the body, with crop / uncrop and LPS coordinates."""

    def __init__(self, volume: Volume, body: Mask, pad_mm: float) -> None:
        spacing = np.asarray(volume.spacing_mm)
        pad = np.ceil(pad_mm / spacing).astype(int)
        lo = np.maximum(np.asarray(body.offset_index) - pad, 0)
        hi = np.minimum(np.asarray(body.offset_index) + np.asarray(body.array.shape) + pad, volume.shape)
        self.start = tuple(int(v) for v in lo)
        self.shape = tuple(int(v) for v in hi - lo)
        self.grid = volume.shape
        self.spacing = spacing
        self.volume = volume
        self._lps: FloatArray | None = None

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        s, n = self.start, self.shape
        return (slice(s[0], s[0] + n[0]), slice(s[1], s[1] + n[1]), slice(s[2], s[2] + n[2]))

    def crop(self, mask: Mask | None) -> BoolArray:
        out = np.zeros(self.shape, dtype=bool)
        if mask is None or not mask.any():
            return out
        lo = [max(a, b) for a, b in zip(self.start, mask.offset_index, strict=True)]
        hi = [
            min(a + n, b + m)
            for a, n, b, m in zip(self.start, self.shape, mask.offset_index, mask.array.shape, strict=True)
        ]
        if any(h <= lo_ for lo_, h in zip(lo, hi, strict=True)):
            return out
        dst = tuple(slice(a - s, b - s) for a, b, s in zip(lo, hi, self.start, strict=True))
        src = tuple(slice(a - s, b - s) for a, b, s in zip(lo, hi, mask.offset_index, strict=True))
        out[dst] = mask.array[src]
        return out

    def to_mask(self, box: BoolArray) -> Mask:
        return Mask.from_box(box, self.start, self.grid)

    @property
    def lps(self) -> FloatArray:
        """LPS coordinates ``(*shape, 3)`` of the ROI's voxel centres."""
        if self._lps is None:
            grids = np.meshgrid(
                *(np.arange(s, s + n, dtype=np.float64) for s, n in zip(self.start, self.shape, strict=True)),
                indexing="ij",
            )
            self._lps = self.volume.index_to_lps_points(np.stack(grids, axis=-1))
        return self._lps

    def ball(self, center_lps: Sequence[float], radius_mm: float) -> BoolArray:
        d2 = np.sum((self.lps - np.asarray(center_lps, dtype=np.float64)) ** 2, axis=-1)
        out: BoolArray = d2 <= radius_mm**2
        return out


def within_mm(seeds: BoolArray, spacing: FloatArray, limit_mm: float, where: BoolArray) -> BoolArray:
    """Voxels of ``where`` whose centre lies within ``limit_mm`` of the nearest *face* of a seed voxel.

    The distance is the Euclidean distance between voxel centres minus the part of the line that lies
    inside the nearest seed voxel (the exit distance of the ray from that voxel's centre through its
    box), so a band of ``limit_mm`` next to a flat face holds the voxels whose centres are within
    ``limit_mm`` of that face. Assumes orthogonal voxel axes (true for every non-sheared CT grid).
    Seed voxels themselves count as within.
    """
    out = np.zeros(seeds.shape, dtype=bool)
    if not seeds.any():
        return out
    dist, idx = ndimage.distance_transform_edt(~seeds, sampling=spacing, return_indices=True)
    # only voxels that can pass need the exact correction (it is at most half the largest spacing)
    cand = where & (dist <= limit_mm + 0.5 * float(spacing.max()) + 1e-9)
    pts = np.nonzero(cand)
    d = dist[pts]
    here = np.stack(pts, axis=0).astype(np.float64)
    near = idx[(slice(None), *pts)].astype(np.float64)
    vec = (near - here) * spacing[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.abs(vec) / np.where(d > 0, d, 1.0)
        exits = np.where(unit > 1e-12, (0.5 * spacing[:, None]) / unit, np.inf)
    surface = np.where(d > 0, d - exits.min(axis=0), 0.0)
    out[pts] = surface <= limit_mm + 1e-9
    return out


def band_fraction(
    seeds: BoolArray,
    spacing: FloatArray,
    limit_mm: float,
    where: BoolArray,
    toward: tuple[int, int] | None = None,
) -> FloatArray:
    """The fraction (0-1) of each voxel of ``where`` that lies within ``limit_mm`` of the seeds' surface.

    The surface between ``where`` and the seeds lies half-way between the seed voxels' centres and the
    centres of the ``where`` voxels that touch them, so a voxel's distance to it is the mean of its
    distances to the nearest seed centre and to the nearest touching voxel's centre (on a face met
    square-on this is the distance to the face exactly; on an oblique face the two staircases' errors
    partly cancel, where the distance to the seeds' faces alone runs up to half a voxel short: a wall
    25 degrees off a 1.5 mm grid still reads about 6% thick). Each voxel is
    then a slab across the direction to its nearest seed, as thick as its extent along that direction
    (``sum |n_i| * spacing_i``): the fraction is the part of that slab nearer than ``limit_mm`` (a linear
    partial-volume estimate). Seed voxels count whole.

    ``toward`` = (grid axis, step) when the seeds are the first voxels outside ``where`` along that
    direction: the touching voxels are then the last ones inside along it (the other layer of the same
    staircase; touching across the other axes would take voxels up to a step deeper on an oblique face
    and shorten the distances). Otherwise every voxel of ``where`` next to a seed touches it.
    """
    out = np.zeros(seeds.shape, dtype=np.float64)
    if not seeds.any():
        return out
    if toward is None:
        touching = where & ~seeds & ndimage.binary_dilation(seeds)
    else:
        touching = where & ~seeds & shift(seeds, toward[0], -toward[1])
    reach = limit_mm + float(np.sqrt((spacing**2).sum()))
    d_seed, idx = ndimage.distance_transform_edt(~seeds, sampling=spacing, return_indices=True)
    cand = where & (d_seed <= reach)
    pts = np.nonzero(cand)
    d = d_seed[pts]
    if touching.any():
        d_touch = ndimage.distance_transform_edt(~touching, sampling=spacing)[pts]
    else:
        d_touch = d - float(spacing.min())
    surface = np.where(d > 0, 0.5 * (d + d_touch), 0.0)
    here = np.stack(pts, axis=0).astype(np.float64)
    vec = (idx[(slice(None), *pts)].astype(np.float64) - here) * spacing[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.abs(vec) / np.where(d > 0, d, 1.0)
    thick = np.where(d > 0, (unit * spacing[:, None]).sum(axis=0), float(spacing.min()))
    out[pts] = np.where(d > 0, np.clip((limit_mm - surface) / thick + 0.5, 0.0, 1.0), 1.0)
    return out


def axis_index(volume: Volume, direction_lps: FloatArray) -> int:
    """The grid axis (0 slice, 1 row, 2 col) most aligned with an LPS direction."""
    steps = volume.index_to_lps[:3, :3] / np.asarray(volume.spacing_mm)
    return int(np.argmax(np.abs(direction_lps @ steps)))


@dataclass(frozen=True)
class VertebraFrame:
    """The vertebra's local frame: origin, LR (left), AP (posterior), SI (superior) unit vectors."""

    origin: FloatArray
    lr: FloatArray
    ap: FloatArray
    si: FloatArray

    def coords(self, lps: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        d = lps - self.origin
        return d @ self.lr, d @ self.ap, d @ self.si


def vertebra_frame(volume: Volume, anatomy: VertebraAnatomy) -> VertebraFrame:
    """The local frame. AP points from the body centroid to the centroid of the canal *beside the body*
    (canal voxels within the body's superior-inferior extent): a canal mask running above or below the
    body would otherwise tilt the axis."""
    origin = np.asarray(anatomy.body_centroid_lps, dtype=np.float64)
    canal_point = np.asarray(anatomy.canal_centroid_lps, dtype=np.float64)
    if anatomy.canal.any():
        body_z = volume.index_to_lps_points(anatomy.body.voxel_indices())[:, 2]
        canal_lps = volume.index_to_lps_points(anatomy.canal.voxel_indices())
        beside = (canal_lps[:, 2] >= body_z.min()) & (canal_lps[:, 2] <= body_z.max())
        if beside.any():
            canal_point = canal_lps[beside].mean(axis=0)
    ap = canal_point - origin
    ap_len = float(np.linalg.norm(ap))
    if ap_len < 1e-6:
        raise PlanValidationError(
            "canal_centroid_lps", anatomy.canal_centroid_lps, "apart from the body centroid"
        )
    ap /= ap_len
    si = np.array([0.0, 0.0, 1.0]) - ap[2] * ap
    si_len = float(np.linalg.norm(si))
    if si_len < 1e-3:
        raise PlanValidationError(
            "canal_centroid_lps", anatomy.canal_centroid_lps, "not straight above the body"
        )
    si /= si_len
    lr = np.cross(ap, si)
    return VertebraFrame(origin, lr, ap, si)


def posterior_step(volume: Volume, axis: int, frame: VertebraFrame) -> int:
    """+1 or -1: the index step along ``axis`` that moves posteriorly (towards the canal)."""
    return 1 if float(volume.index_to_lps[:3, axis] @ frame.ap) > 0 else -1


def shift(mask: BoolArray, axis: int, step: int) -> BoolArray:
    """``mask`` moved by one voxel along ``axis`` (``step`` +1 or -1), zero-filled."""
    out = np.zeros_like(mask)
    src: list[slice] = [slice(None)] * 3
    dst: list[slice] = [slice(None)] * 3
    if step > 0:
        src[axis], dst[axis] = slice(None, -1), slice(1, None)
    else:
        src[axis], dst[axis] = slice(1, None), slice(None, -1)
    out[tuple(dst)] = mask[tuple(src)]
    return out


def body_face(body: BoolArray, axis: int, sign: float, volume: Volume, frame: VertebraFrame) -> BoolArray:
    """Body voxels whose neighbour along ``axis`` on the ``sign`` side of SI lies outside the body."""
    step_lps = volume.index_to_lps[:3, axis]
    step = 1 if float(step_lps @ frame.si) * sign > 0 else -1
    shifted = np.zeros_like(body)
    src: list[slice] = [slice(None)] * 3
    dst: list[slice] = [slice(None)] * 3
    if step > 0:
        src[axis], dst[axis] = slice(1, None), slice(None, -1)
    else:
        src[axis], dst[axis] = slice(None, -1), slice(1, None)
    shifted[tuple(dst)] = body[tuple(src)]
    out: BoolArray = body & ~shifted
    return out


def cylinder(lps: FloatArray, a: FloatArray, b: FloatArray, radius_mm: float) -> BoolArray:
    """Voxels within ``radius_mm`` of the segment a-b (capsule without the caps beyond the ends)."""
    ab = b - a
    length2 = float(ab @ ab)
    if length2 < 1e-12:
        raise PlanValidationError("trajectory", (a.tolist(), b.tolist()), "entry and target apart")
    t = np.clip(((lps - a) @ ab) / length2, 0.0, 1.0)
    closest = a + t[..., None] * ab
    out: BoolArray = np.sum((lps - closest) ** 2, axis=-1) <= radius_mm**2
    return out
