"""An endplate's figures: where it lies and how it is tilted, from its surface layer.

:func:`endplate_plane` fits a plane to an endplate's points (least squares: the normal is the direction of
least spread): the CT's own edge over the body's middle (:mod:`imaging.endplate_edge`, the points on the
endplate's surface), or, where too few columns show an edge, the middle of the endplate layer of
:func:`imaging.body_result.describe_body` (the body's surface voxels facing up or down, about 1 mm inside
the surface). It reports the plane's centre (LPS mm, the points' mean) and its tilt in degrees: from the
patient's axial plane (the angle between the plane's normal and the LPS superior axis; this is the tilt an
operator sees on a sagittal or coronal view and the one a needle's craniocaudal angle is set against),
split into its sagittal part (positive when the plane rises anteriorly) and its coronal part (positive
when it rises to the patient's left), and from the body's own axis (the plane's normal against the
body axis: how far this endplate departs from square to the body, the body's wedge on that side).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "MIN_ENDPLATE_POINTS",
    "TILT_FROM_EDGE",
    "TILT_FROM_LAYER",
    "TILT_FROM_MEAN_EDGE",
    "EndplatePlane",
    "endplate_plane",
]

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

#: fewer voxel centres than this give no plane (a 3 x 3 patch on the 1 mm grid does not tilt reliably)
MIN_ENDPLATE_POINTS = 10
#: the plane is fitted to the layer's points nearest its centre across the body axis, this fraction of
#: them: the rim, where the layer curves into the body's sides, is left out
CORE_FRACTION = 0.6
#: what a plane was read from (:mod:`imaging.endplate_fit`): the CT's edge column by column, the edge on the
#: columns' mean profile, or the mask's end plate layer (its slice steps: no uncertainty can be given)
TILT_FROM_EDGE = "ct_edge"
TILT_FROM_MEAN_EDGE = "ct_edge_mean"
TILT_FROM_LAYER = "mask_layer"


@dataclass(frozen=True)
class EndplatePlane:
    """An endplate's centre (LPS mm), unit normal (LPS, pointing out of the body) and tilts (degrees)."""

    center_lps: Point
    normal_lps: Point
    tilt_from_axial_deg: float
    sagittal_tilt_deg: float  # positive: the plane rises anteriorly
    coronal_tilt_deg: float  # positive: the plane rises to the patient's left
    tilt_from_body_axis_deg: float
    #: how far the tilts can be trusted (degrees, about 95 %; imaging.endplate_fit), None when not known
    tilt_uncertainty_deg: float | None = None
    tilt_from: str = TILT_FROM_LAYER

    def to_json(self) -> dict[str, Any]:
        return {
            "center_lps": [round(v, 2) for v in self.center_lps],
            "normal_lps": [round(v, 4) for v in self.normal_lps],
            "tilt_from_axial_deg": round(self.tilt_from_axial_deg, 1),
            "sagittal_tilt_deg": round(self.sagittal_tilt_deg, 1),
            "coronal_tilt_deg": round(self.coronal_tilt_deg, 1),
            "tilt_from_body_axis_deg": round(self.tilt_from_body_axis_deg, 1),
            "tilt_uncertainty_deg": (
                None
                if self.tilt_uncertainty_deg is None or not math.isfinite(self.tilt_uncertainty_deg)
                else round(self.tilt_uncertainty_deg, 1)
            ),
            "tilt_from": self.tilt_from,
        }


def endplate_plane(
    points_lps: npt.ArrayLike, body_axis_lps: npt.ArrayLike, *, superior: bool, middle_only: bool = True
) -> EndplatePlane | None:
    """The plane fitted to an endplate layer's voxel centres, or None when too few.

    Parameters
    ----------
    points_lps
        ``(N, 3)`` voxel centres of the endplate layer, LPS mm.
    body_axis_lps
        The body's superior unit axis (LPS).
    superior
        True for the superior endplate (its normal points along the axis), False for the inferior one.
    middle_only
        Fit the points nearest the layer's centre only (``CORE_FRACTION``); False for points already taken
        from the body's middle (:func:`imaging.endplate_edge.endplate_edge_points`).

    Returns
    -------
    EndplatePlane or None
    """
    pts = np.asarray(points_lps, dtype=np.float64).reshape(-1, 3)
    if len(pts) < MIN_ENDPLATE_POINTS:
        return None
    axis = np.asarray(body_axis_lps, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    center = pts.mean(axis=0)
    # the plane through the layer's middle: its rim curves round into the body's sides and tilts a fit
    # by the way the body's outline was cut (vertebra phantom pitched 12 degrees: 16.6 from the whole
    # layer, 14.9 from its middle)
    rel = pts - center
    along = rel @ axis
    radial = np.linalg.norm(rel - along[:, None] * axis, axis=1)
    middle = pts[radial <= np.percentile(radial, 100.0 * CORE_FRACTION)]
    if middle_only and len(middle) >= MIN_ENDPLATE_POINTS:
        pts = middle
        center = pts.mean(axis=0)
    _, _, vt = np.linalg.svd(pts - center, full_matrices=False)
    normal = vt[2]
    outward = axis if superior else -axis
    if normal @ outward < 0:
        normal = -normal
    # tilts of the plane against the axial plane, read on the superior-facing normal
    up = normal if normal[2] >= 0 else -normal
    tilt_axial = float(np.degrees(np.arccos(np.clip(abs(normal[2]), 0.0, 1.0))))
    # on the plane z = -(n_x x + n_y y) / n_z: it rises anteriorly (towards -y) when the upward normal
    # leans posteriorly (+y), and to the patient's left (+x) when it leans right (-x)
    sagittal = float(np.degrees(np.arctan2(up[1], up[2])))
    coronal = float(np.degrees(np.arctan2(-up[0], up[2])))
    tilt_body = float(np.degrees(np.arccos(np.clip(normal @ outward, -1.0, 1.0))))
    return EndplatePlane(
        center_lps=(float(center[0]), float(center[1]), float(center[2])),
        normal_lps=(float(normal[0]), float(normal[1]), float(normal[2])),
        tilt_from_axial_deg=tilt_axial,
        sagittal_tilt_deg=sagittal,
        coronal_tilt_deg=coronal,
        tilt_from_body_axis_deg=tilt_body,
    )
