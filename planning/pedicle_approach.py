"""What a transpedicular needle crosses between the skin and its pedicle, and the nearest line that crosses
nothing it should not.

A transpedicular needle enters the back on the pedicle's own side and meets bone first where the pedicle
begins (the lamina/facet junction behind it). A line through a pedicle whose axis diverges (a transverse
angle below zero, CLINICAL.md "Needles and pedicles": down to -9.8 degrees at T12), or aimed at a tip close
behind its pass point, can, extended back to the skin, cross the midline: through the spinous process or
the lamina, or even the canal. :func:`approach_crossings` measures that stretch of the line:

- the midline: the mid-sagittal plane through the canal's centroid, its normal horizontal and across the
  line from the canal to the body's centroid (LPS +x for a patient lying straight);
- the canal (the anatomy's safety canal);
- bone (HU above :data:`APPROACH_BONE_HU`) separated from the bone the pedicle is entered through by more
  than :data:`BONE_GAP_MM` of soft tissue: a spinous process, another level's lamina, a rib.

:func:`nearest_clear_line` looks for the line nearest in direction to the proposed one that crosses none
of these, within the room :mod:`planning.pedicle_passage` allows (the pass point within the pedicle's
room by its narrowest width, the tip within :data:`planning.pedicle_passage.MAX_TARGET_SHIFT_MM` in the
body) and without losing room from the pedicle cortex or the canal.

Frames and units: LPS mm; the CT in HU on its ``[slice, row, col]`` grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy
from imaging.volume import Volume
from planning.grid_sampling import mask_at_points, sample_trilinear
from planning.pedicle_passage import MAX_TARGET_SHIFT_MM, line_clearance
from planning.proposal_base import ROUTE_SEARCH_MM, FloatArray
from planning.skin_crossing import find_skin_along_line

#: Bone on the way in (HU): cortex and the cancellous bone of a spinous process (read 410-464 HU at its
#: densest on the two crossed on the sample case T11 and the abdomen CT's L3), not muscle or contrast.
APPROACH_BONE_HU = 250.0
#: Bone's marrow and cancellous bone read above this (HU; the vertebra phantom's is 200), soft tissue below
#: (muscle 40-60, fat below 0): a gap between bone runs is soft tissue only.
CANCELLOUS_HU = 150.0
#: Soft tissue (mm along the needle) that separates other bone from the bone the pedicle is entered
#: through. The facet joint in front of a pedicle's entry reads 2.5-4.5 mm along the proposals on the
#: sample case T7-T10 and 8.5 mm at the abdomen CT's L5 left; a spinous process crossed lay 23-26 mm
#: before the pedicle (*a choice* between the two, not a clinical figure).
BONE_GAP_MM = 10.0
#: Shortest bone run counted (mm): less is noise or partial volume.
_MIN_BONE_RUN_MM = 1.0
_STEP_MM = 0.25
#: candidate lines examined by :func:`nearest_clear_line` at most (nearest in direction first)
_MAX_CANDIDATES = 600


@dataclass(frozen=True)
class ApproachCrossings:
    """What the needle crosses between the skin and the pedicle.

    ``entry_side_mm``: the skin entry's distance from the midline, positive on the pedicle's own side;
    ``midline_mm``: the length of the stretch before the pedicle that lies on the other side;
    ``canal_mm``: its length in the canal; ``bone_mm``: distances from the skin (mm along the needle) to
    the start of each bone run met before the pedicle and apart from it.
    """

    entry_side_mm: float
    midline_mm: float
    canal_mm: float
    bone_mm: tuple[float, ...]

    @property
    def clear(self) -> bool:
        """True when the skin entry is on the own side and nothing listed is crossed."""
        return (
            self.entry_side_mm > 0.0 and self.midline_mm == 0.0 and self.canal_mm == 0.0 and not self.bone_mm
        )

    def describe(self, side: Side) -> str:
        """Plain words for what is crossed (empty when clear)."""
        other = "right" if side is Side.LEFT else "left"
        parts = []
        if self.entry_side_mm <= 0.0 or self.midline_mm > 0.0:
            parts.append(
                f"the midline (skin entry {abs(self.entry_side_mm):.1f} mm "
                f"{other if self.entry_side_mm <= 0.0 else side.value} of the spinal canal's centre)"
            )
        if self.canal_mm > 0.0:
            parts.append(f"the spinal canal ({self.canal_mm:.0f} mm)")
        if self.bone_mm:
            at = ", ".join(f"{d:.0f}" for d in self.bone_mm)
            parts.append(f"other bone {at} mm from the skin (spinous process, lamina or rib)")
        return " and ".join(parts)


def approach_crossings(
    volume: Volume,
    anatomy: VertebraAnatomy,
    axis: PedicleAxis,
    entry: FloatArray,
    target: FloatArray,
) -> ApproachCrossings:
    """Measure what the needle from ``entry`` (the skin) to ``target`` crosses before ``axis``'s pedicle.

    Parameters
    ----------
    volume
        The CT (HU).
    anatomy
        The vertebra (canal, body centroid for the midline).
    axis
        The pedicle the needle passes through (its mask when traced, otherwise its axis entry point).
    entry, target
        The needle's skin entry and tip (LPS mm).

    Returns
    -------
    ApproachCrossings
        The entry's side and what lies before the pedicle.
    """
    length = float(np.linalg.norm(target - entry))
    u = (target - entry) / length
    s = np.arange(0.0, length, _STEP_MM)
    pts = entry + s[:, None] * u
    start = _pedicle_start(volume, axis, pts)
    normal = midline_normal(anatomy, axis.side)
    own = (pts - np.asarray(anatomy.canal_centroid_lps)) @ normal
    before = pts[:start]
    canal = anatomy.safety_canal
    canal_mm = float(mask_at_points(canal, volume, before).sum()) * _STEP_MM if canal.any() else 0.0
    hu = sample_trilinear(volume.array, volume.lps_to_index_points(before), -1000.0)
    # a run of bone is cancellous bone and cortex together, so that a pedicle's marrow is not the gap
    bone = [
        (a, b)
        for a, b in _runs(hu >= CANCELLOUS_HU)
        if (b - a) * _STEP_MM >= _MIN_BONE_RUN_MM and float(hu[a:b].max()) >= APPROACH_BONE_HU
    ]
    apart: list[float] = []
    reach = start  # the bone chain the pedicle is entered through, walked back from the pedicle
    for a, b in reversed(bone):
        if (reach - b) * _STEP_MM > BONE_GAP_MM:
            apart.append(float(s[a]))
        reach = a
    return ApproachCrossings(
        entry_side_mm=float(own[0]),
        midline_mm=float((own[:start] <= 0.0).sum()) * _STEP_MM,
        canal_mm=canal_mm,
        bone_mm=tuple(sorted(apart)),
    )


def midline_normal(anatomy: VertebraAnatomy, side: Side) -> FloatArray:
    """Unit normal of the mid-sagittal plane, pointing to ``side``: horizontal, across the line from
    the canal's centroid to the body's (the patient's left-right axis when the two are apart)."""
    back = np.subtract(anatomy.canal_centroid_lps, anatomy.body_centroid_lps)
    n = (
        np.array([-back[1], back[0], 0.0])
        if float(np.hypot(back[0], back[1])) > 1.0
        else np.array([1.0, 0, 0])
    )
    n /= np.linalg.norm(n)
    if n[0] < 0:
        n = -n
    return n if side is Side.LEFT else -n


def nearest_clear_line(  # noqa: PLR0917 - the proposal's pieces, passed as they are
    volume: Volume,
    anatomy: VertebraAnatomy,
    axis: PedicleAxis,
    through: FloatArray,
    target: FloatArray,
    radius_mm: float,
    canal_gap: Callable[[FloatArray, FloatArray], float] | None,
    canal_needed_mm: float,
    clearance_needed_mm: float | None,
) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """The line nearest in direction to ``through`` -> ``target`` whose approach is clear.

    Candidates move the pass point within the pedicle's room by its narrowest width (half the width less
    the needle's radius) and the tip up to :data:`planning.pedicle_passage.MAX_TARGET_SHIFT_MM` inside the
    body, on 1 mm steps; they keep ``canal_needed_mm`` from the canal and, when ``clearance_needed_mm``
    is given, at least that room from the pedicle cortex.

    Returns
    -------
    tuple or None
        ``(skin entry, pass point, tip)`` of the line found, or None when none is clear.
    """
    u0 = (target - through) / np.linalg.norm(target - through)
    e1 = np.cross(u0, [0.0, 0.0, 1.0] if abs(u0[2]) < 0.9 else [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(u0, e1)
    reach = max(axis.min_width_mm / 2.0 - radius_mm, 0.0)
    grid = np.arange(-MAX_TARGET_SHIFT_MM, MAX_TARGET_SHIFT_MM + 0.5, 1.0)
    pairs = [(a, b) for a in grid for b in grid]
    pass_offsets = [(a, b) for a, b in pairs if np.hypot(a, b) <= reach + 1e-9]
    tip_offsets = [(a, b) for a, b in pairs if np.hypot(a, b) <= MAX_TARGET_SHIFT_MM + 1e-9]
    ps = np.array([through + a * e1 + b * e2 for a, b in pass_offsets])
    ts = np.array([target + a * e1 + b * e2 for a, b in tip_offsets])
    body = anatomy.body if anatomy.body.any() else None
    if body is not None:
        ts = ts[mask_at_points(body, volume, ts)]
    if not len(ps) or not len(ts):
        return None
    d = ts[None, :, :] - ps[:, None, :]
    d /= np.linalg.norm(d, axis=2, keepdims=True)
    order = np.argsort(-(d @ u0), axis=None)[:_MAX_CANDIDATES]
    for k in order:
        i, j = np.unravel_index(int(k), d.shape[:2])
        p, t = ps[i], ts[j]
        skin = find_skin_along_line(volume, p, p - t, max_distance_mm=ROUTE_SEARCH_MM)
        entry = np.asarray(skin.skin_lps)
        if not skin.found or not approach_crossings(volume, anatomy, axis, entry, t).clear:
            continue
        if canal_gap is not None and canal_gap(p, t) < canal_needed_mm - 1e-6:
            continue
        if clearance_needed_mm is not None:
            c = line_clearance(volume, axis, p, t, radius_mm, body=body)
            if c is None or c < clearance_needed_mm - 1e-6:
                continue
        return entry, p, t
    return None


def _pedicle_start(volume: Volume, axis: PedicleAxis, pts: FloatArray) -> int:
    """Index of the first sample in the pedicle (its mask; without one, or when the line misses it, the
    sample nearest the axis's entry on the bone)."""
    if axis.mask is not None and axis.mask.any():
        inside = mask_at_points(axis.mask, volume, pts)
        if inside.any():
            return int(np.argmax(inside))
    return int(np.argmin(np.linalg.norm(pts - np.asarray(axis.axis_entry_lps), axis=1)))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of True."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
