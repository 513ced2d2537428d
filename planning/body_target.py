"""Where the access needle's tip goes in the vertebral body: along the pedicle axis, at the junction of
the anterior and middle thirds of the body, kept off its cortex and endplates.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); masks on the volume's
``[slice, row, col]`` grid.

The target is two thirds of the way from where the axis enters the body mask to where it leaves it
(CLINICAL.md "Target"), moved back along the axis if needed to lie at least 3 mm inside the body, and
moved back further when the antenna (1.5-2.0 cm beyond the needle tip) would otherwise reach within
3 mm of the far cortex or beyond it: the needle tip goes no closer than 3 mm to the body's back, and
a body too shallow for the antenna is warned about. Each move is said in the proposal's warnings.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from imaging.vertebra_model import PedicleAxis, VertebraAnatomy
from imaging.volume import Volume
from planning.distance_field import DistanceField
from planning.errors import PlanValidationError
from planning.grid_sampling import mask_at_points
from planning.proposal_base import ROUTE_SEARCH_MM
from planning.trajectory_geometry import as_point

FloatArray = npt.NDArray[np.float64]

#: Fraction of the body crossing (from posterior) where the transpedicular target lies.
TARGET_BODY_FRACTION = 2.0 / 3.0
#: The tip is kept at least this deep inside the body mask (a planning choice, stated and editable
#: here: it keeps the tip off the cortex and endplates; CLINICAL.md gives no figure).
MIN_TIP_DEPTH_MM = 3.0


def pedicle_axis_target(
    volume: Volume, anatomy: VertebraAnatomy, axis: PedicleAxis, antenna_extension_mm: float
) -> tuple[FloatArray, list[str]]:
    """Target two thirds of the way across the body along the pedicle axis (and its warnings)."""
    warnings: list[str] = []
    e = as_point(axis.axis_entry_lps, "axis_entry_lps")
    t = as_point(axis.axis_target_lps, "axis_target_lps")
    u = t - e
    n = float(np.linalg.norm(u))
    if n < 1.0:
        raise PlanValidationError("pedicle axis", n, "an axis at least 1 mm long")
    u /= n
    crossing = body_crossing(volume, anatomy.body, e, u) if anatomy.body.any() else None
    if crossing is None:
        warnings.append(
            "the pedicle axis does not cross the body mask: target taken from the anatomy as given"
        )
        return t, warnings
    s_in, s_out = crossing
    s_target = s_in + TARGET_BODY_FRACTION * (s_out - s_in)
    # keep the tip inside the body, away from its cortex (an axis may leave through an endplate):
    # move it back along the axis, never forward, until it lies MIN_TIP_DEPTH_MM deep
    field = DistanceField(anatomy.body, volume.index_to_lps, pad_mm=2.0)
    step = 0.25 * min(volume.spacing_mm)
    s = np.arange(s_in, s_target + 1e-9, step)
    depth = -field.sample(e + s[:, None] * u)
    deep = np.flatnonzero(depth >= MIN_TIP_DEPTH_MM)
    if len(deep):
        k = int(deep[-1])
    else:
        k = int(np.argmax(depth))
        warnings.append(
            f"the pedicle axis runs no deeper than {depth[k]:.1f} mm inside the body: check the target"
        )
    if s[k] < s_target - step:
        warnings.append(
            f"target moved {s_target - s[k]:.1f} mm back along the axis to stay {MIN_TIP_DEPTH_MM:g} mm "
            "inside the body (the axis leaves the body close to an endplate or wall)"
        )
    s_target = float(s[k])
    if antenna_extension_mm > 0:
        s_target = _keep_antenna_inside(s_target, s_in, s_out, antenna_extension_mm, warnings)
    return e + s_target * u, warnings


def _keep_antenna_inside(
    s_target: float, s_in: float, s_out: float, antenna_extension_mm: float, warnings: list[str]
) -> float:
    """The needle tip drawn back along the axis so its antenna tip stays MIN_TIP_DEPTH_MM inside the
    body (an antenna through the anterior cortex heats the prevertebral vessels); never closer than
    MIN_TIP_DEPTH_MM to where the axis enters the body. ``s_*``: distances along the axis, mm."""
    limit = s_out - MIN_TIP_DEPTH_MM - antenna_extension_mm
    if s_target <= limit:
        return s_target
    floor = s_in + MIN_TIP_DEPTH_MM
    placed = max(limit, min(floor, s_target))
    beyond = placed + antenna_extension_mm - s_out
    if beyond > 0:
        back_mm = s_target - placed
        drawn = f" even with the needle tip drawn back {back_mm:.1f} mm" if back_mm > 0 else ""
        warnings.append(
            f"the antenna tip would lie {beyond:.1f} mm beyond the body cortex along this axis{drawn}: "
            "use a shorter antenna extension"
        )
    elif placed < s_target:
        warnings.append(
            f"needle tip placed {s_target - placed:.1f} mm short of the anterior-middle third so that the "
            f"antenna tip, {antenna_extension_mm:g} mm beyond it, stays inside the body"
        )
    return placed


def body_crossing(
    volume: Volume, body: Mask, start: FloatArray, direction: FloatArray
) -> tuple[float, float] | None:
    """Distances (mm) along the line where it first enters the body and where that run leaves it."""
    step = 0.25 * min(volume.spacing_mm)
    s = np.arange(0.0, ROUTE_SEARCH_MM, step)
    hit = mask_at_points(body, volume, start + s[:, None] * direction)
    if not hit.any():
        return None
    k0 = int(np.argmax(hit))
    after = np.flatnonzero(~hit[k0:])
    k1 = k0 + (int(after[0]) - 1 if len(after) else len(hit) - 1 - k0)
    return float(s[k0]), float(s[k1])
