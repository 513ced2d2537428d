"""The straight path through a pedicle with the most room for the needle, for a proposal that lacks it.

A transpedicular proposal aims the needle from the centre of the pedicle's narrowest section at a point
in the vertebral body (:mod:`planning.transpedicular`). Its room in the pedicle is then measured as the
needle's readout measures it (:func:`planning.pedicle_clearance.pedicle_clearance`, with the body's bone
not counted as a wall). When the needle breaches the cortex there (a line the program proposes itself
must not, while a straight path that does not exists), :func:`widest_passage` looks for the line
with the largest clearance: it moves where the needle crosses the isthmus (within the pedicle's room by
its narrowest width: half the width less the needle's radius)
and where its tip lies (up to :data:`MAX_TARGET_SHIFT_MM` from the body target, inside the body), keeping
the needle's distance from the spinal canal at least what the proposal had asked for. A compass search
(steps 1 mm down to 0.125 mm on the four offsets) finds it: the clearance of a line through a convex
section is a concave function of the offsets, so the search reaches its largest value.

Frames and units: LPS mm; masks on the volume's ``[slice, row, col]`` grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from imaging.mask import Mask
from imaging.vertebra_model import PedicleAxis
from imaging.volume import Volume
from planning.grid_sampling import mask_at_points
from planning.pedicle_clearance import pedicle_clearance
from planning.proposal_base import FloatArray, route_geometry

#: How far (mm) the needle tip may move from the body target to give the needle room in the pedicle:
#: the target is a region (the junction of the anterior and middle thirds of the body, CLINICAL.md
#: "Target"), and the ablation zone around the antenna is about 30 mm wide; 5 mm keeps the tip in that
#: region (*a choice*, not a clinical figure).
MAX_TARGET_SHIFT_MM = 5.0
#: how far behind the isthmus the needle line is measured from (the entry lies further out)
_BEHIND_MM = 40.0
_STEPS_MM = (1.0, 0.5, 0.25, 0.125)
_MAX_MOVES_PER_STEP = 40


@dataclass(frozen=True)
class Passage:
    """A needle line through the pedicle: where it crosses the isthmus section, where its tip lies,
    and its clearance from the pedicle cortex there (mm; None: the line misses the pedicle mask)."""

    through_lps: FloatArray
    target_lps: FloatArray
    clearance_mm: float | None


def line_clearance(
    volume: Volume,
    axis: PedicleAxis,
    through: FloatArray,
    target: FloatArray,
    radius_mm: float,
    *,
    body: Mask | None,
) -> float | None:
    """Clearance (mm) of the needle line through ``through`` to ``target`` in the pedicle, as the readout
    measures it; None without a pedicle mask or when the line misses it."""
    if axis.mask is None or not axis.mask.any():
        return None
    u = target - through
    u /= np.linalg.norm(u)
    geometry = route_geometry(through - _BEHIND_MM * u, target)
    return pedicle_clearance(
        axis.mask, volume.index_to_lps, geometry, radius_mm, axis.isthmus_lps, body=body
    ).clearance_mm


def widest_passage(  # noqa: PLR0917 - the proposal's pieces, passed as they are
    volume: Volume,
    axis: PedicleAxis,
    through: FloatArray,
    target: FloatArray,
    radius_mm: float,
    body: Mask | None,
    canal_gap: Callable[[FloatArray, FloatArray], float] | None,
    canal_needed_mm: float,
) -> Passage:
    """The line with the largest pedicle clearance near the one given (see the module's docstring).

    Parameters
    ----------
    volume, axis
        The CT and the pedicle (its mask, isthmus and width).
    through, target
        The proposal's pass point at the isthmus and its tip (LPS mm).
    radius_mm
        The needle's outer radius.
    body
        The vertebral body's mask: the tip stays in it, and its bone is not a pedicle wall.
    canal_gap
        Distance (mm) from the needle through ``(through, target)`` to the spinal canal, when the canal
        is known.
    canal_needed_mm
        The distance from the canal a moved line must keep (the lower of the safety margin and what
        the given line keeps).

    Returns
    -------
    Passage
        The best line found (the given one when nothing better was).
    """
    u = target - through
    u /= np.linalg.norm(u)
    e1 = np.cross(u, [0.0, 0.0, 1.0] if abs(u[2]) < 0.9 else [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(u, e1)
    # the pass point stays within the pedicle's room by its narrowest width (centre to cortex less the
    # radius): a line further from the section's centre breaches by the width, whatever the mask shows
    # (on the chest CT's T8 right the search otherwise moved 1.4 mm in a 4.7 mm pedicle, towards
    # cross-sections partly in the body)
    reach = max(axis.min_width_mm / 2.0 - radius_mm, 0.0)
    cache: dict[tuple[float, ...], tuple[bool, float]] = {}

    def line(x: tuple[float, ...]) -> tuple[FloatArray, FloatArray]:
        return through + x[0] * e1 + x[1] * e2, target + x[2] * e1 + x[3] * e2

    def score(x: tuple[float, ...]) -> tuple[bool, float]:
        if x not in cache:
            p, t = line(x)
            allowed = (
                float(np.hypot(x[0], x[1])) <= reach
                and float(np.hypot(x[2], x[3])) <= MAX_TARGET_SHIFT_MM
                and (body is None or not body.any() or bool(mask_at_points(body, volume, t[None])[0]))
                and (canal_gap is None or canal_gap(p, t) >= canal_needed_mm - 1e-6)
            )
            measured = allowed or x == (0.0,) * 4  # the given line is measured whatever it keeps
            c = line_clearance(volume, axis, p, t, radius_mm, body=body) if measured else None
            cache[x] = (allowed, -np.inf if c is None else c)
        return cache[x]

    best: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)
    best_c = score(best)[1]
    for step in _STEPS_MM:
        for _ in range(_MAX_MOVES_PER_STEP):
            moves = [
                tuple(v + (sign * step if k == i else 0.0) for k, v in enumerate(best))
                for i in range(4)
                for sign in (1.0, -1.0)
            ]
            scored = [(score(x), x) for x in moves]
            good = [(c, x) for (ok, c), x in scored if ok and c > best_c + 1e-3]
            if not good:
                break
            best_c, best = max(good)
    p, t = line(best)
    return Passage(p, t, None if not np.isfinite(best_c) else float(best_c))
