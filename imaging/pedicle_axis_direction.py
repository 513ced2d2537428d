"""A pedicle axis's direction: its plausible range, the turn that makes it reach the body, and the axis
across the pedicle's waist.

Frame (:class:`imaging.vertebra_pedicle_sections.VertebraFrame`): body centroid ``c``, superior axis
``a``, posterior ``p``, patient left ``l = p x a``. Directions are unit LPS vectors pointing from the body
towards the entry; the convergence is the turn from ``p`` towards the midline in the plane normal to
``a`` (degrees, + medial towards the front), the tilt the angle from that plane. Positions LPS mm.
Used by :func:`imaging.vertebra_pedicles.find_pedicle`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.pedicle_waist import WaistChord
from imaging.vertebra_model import Side
from imaging.vertebra_pedicle_sections import VertebraFrame
from imaging.vertebra_roi import LpsRoi

__all__ = ["CONVERGENCE_RANGE_DEG", "MAX_TILT_DEG", "across_waist", "plausible_direction", "toward_body"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: plausible transverse (medial convergence) pedicle angles, degrees: CLINICAL.md gives 35.4 at T1
#: down to -9.8 at T12, rising again from L1 to L5 (about 30 at L5); a traced angle outside this
#: range is reported as uncertain
CONVERGENCE_RANGE_DEG = (-15.0, 45.0)
#: plausible tilt of a pedicle axis from the plane of the end plates, degrees (*unverified*: CLINICAL.md
#: gives transverse angles only; thoracic pedicles rise towards the lamina by some 10-20 degrees, and a
#: steeper axis through an isthmus in the body's upper half leaves the body through an end plate)
MAX_TILT_DEG = 20.0


def plausible_direction(d: FloatArray, side: Side, frame: VertebraFrame) -> tuple[FloatArray, str | None]:
    """The traced direction, with an implausible convergence or tilt replaced by zero (and said).

    Sections span only 3-5 mm of a thoracic pedicle, over which its cross-section grows towards the
    lamina: its centroids then move by shape, not by direction. A convergence outside
    ``CONVERGENCE_RANGE_DEG`` is replaced by the midline's direction, a tilt from the end plates'
    plane beyond ``MAX_TILT_DEG`` by that plane.
    """
    sgn = 1.0 if side is Side.LEFT else -1.0
    a, p, lft = frame.axis, frame.posterior, frame.left
    convergence = float(np.degrees(np.arctan2(sgn * (d @ lft), d @ p)))
    tilt = float(np.degrees(np.arcsin(np.clip(d @ a, -1.0, 1.0))))
    said: list[str] = []
    if not CONVERGENCE_RANGE_DEG[0] <= convergence <= CONVERGENCE_RANGE_DEG[1]:
        said.append(
            f"traced convergence {convergence:.0f} deg, outside {CONVERGENCE_RANGE_DEG[0]:.0f}.."
            f"{CONVERGENCE_RANGE_DEG[1]:.0f}: shown parallel to the midline"
        )
        d = d - (d @ lft) * lft
    if abs(tilt) > MAX_TILT_DEG:
        said.append(
            f"traced tilt {tilt:.0f} deg from the end plates, beyond {MAX_TILT_DEG:.0f}: "
            "shown parallel to them"
        )
        d = d - (d @ a) * a
    if float(np.linalg.norm(d)) < 1e-6:
        d = p - (p @ a) * a
    d = d / np.linalg.norm(d)
    if not said:
        return d, None
    return d, f"{side.value} pedicle axis direction uncertain ({'; '.join(said)}) through the isthmus"


def across_waist(d: FloatArray, chord: WaistChord, frame: VertebraFrame) -> tuple[FloatArray, FloatArray]:
    """The axis through the waist's middle, normal to it in the end plates' plane, with ``d``'s tilt.

    The waist (:class:`imaging.pedicle_waist.WaistChord`) runs straight across the pedicle at its
    isthmus, perpendicular to its walls: the axis crosses it at its middle, at right angles. Its
    direction from the canal outwards, taken in the plane normal to the body's axis, turned by 90
    degrees about that axis towards the back, gives the axis's convergence; its tilt from that plane
    stays ``d``'s (the sections'). Returns the direction (unit, towards the entry) and the point.
    """
    a, p = frame.axis, frame.posterior
    out = chord.direction_lps - (chord.direction_lps @ a) * a
    normal = np.cross(a, out / np.linalg.norm(out))
    if float(normal @ p) < 0.0:
        normal = -normal
    flat = d - (d @ a) * a
    turned = float(np.linalg.norm(flat)) * normal + (d @ a) * a
    direction: FloatArray = turned / np.linalg.norm(turned)
    return direction, chord.middle_lps


def toward_body(
    d: FloatArray, mid: FloatArray, side: Side, *, frame: VertebraFrame, roi: LpsRoi, body: BoolArray
) -> tuple[FloatArray, str | None]:
    """The direction turned medially, by the least angle, until the axis enters the body.

    A pedicle joins the body, so its axis must reach it; a direction fitted to a few millimetres of
    sections (a thoracic pedicle merging with a rib neck) can pass beside the body. The axis is
    turned about the body's axis through the isthmus in 1 degree steps, towards the midline, up to
    the plausible convergence range's upper end; None said when no turn was needed.
    """
    if _reaches_body(roi, body, mid, d):
        return d, None
    sgn = 1.0 if side is Side.LEFT else -1.0
    a, p, lft = frame.axis, frame.posterior, frame.left
    along_a = float(d @ a)
    flat = d - along_a * a
    norm = float(np.linalg.norm(flat))
    flat = flat / norm
    start = float(np.degrees(np.arctan2(sgn * (flat @ lft), flat @ p)))
    for conv in np.arange(np.ceil(start) + 1.0, CONVERGENCE_RANGE_DEG[1] + 1e-9, 1.0):
        rad = np.radians(conv)
        turned = norm * (np.cos(rad) * p + sgn * np.sin(rad) * lft) + along_a * a
        turned = turned / np.linalg.norm(turned)
        if _reaches_body(roi, body, mid, turned):
            return turned, (
                f"{side.value} pedicle axis turned {conv - start:.0f} deg medially (convergence "
                f"{start:.0f} -> {conv:.0f} deg): the traced direction passed beside the body"
            )
    return d, None


def _reaches_body(roi: LpsRoi, body: BoolArray, mid: FloatArray, d: FloatArray) -> bool:
    """Whether the line from ``mid`` forwards (against ``d``) enters the body within 120 mm."""
    sb = np.arange(0.0, -120.0, -0.5)
    return bool((roi.sample(body, mid + sb[:, None] * d, order=0) > 0.5).any())
