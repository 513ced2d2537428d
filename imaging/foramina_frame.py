"""The vertebra's own frame and each pedicle's bounds in it: the geometry the foramina are found in.

The frame (:class:`ForaminaFrame`) has its origin at the body centroid, ``u`` towards the patient's
left, ``v`` along the body axis towards superior (from the endplates) and ``t`` posterior towards the
canal. A pedicle's bounds (:class:`PedicleBounds`) are its medial and lateral borders at the isthmus
(lateral coordinate ``sign * u``, from :class:`imaging.vertebra_model.PedicleAxis`: the axis's point
plus and minus half the narrowest width; over the stretch of the axis the isthmus may lie on,
:mod:`imaging.foramina_isthmus`, the most medial and the most lateral of them), its bottom and top
(``v``) and posterior end (``t``) from its mask, and the body's posterior surface beside it above and
below. Positions LPS mm (source volume), frame coordinates mm. Used by :mod:`imaging.vertebra_foramina`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.foramina_isthmus import isthmus_stretch
from imaging.foramina_model import ForamenLevel
from imaging.mask import Mask
from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy
from imaging.volume import Volume

__all__ = ["MIN_AXIS_COS", "ForaminaFrame", "PedicleBounds", "foramina_frame", "pedicle_bounds"]

FloatArray = npt.NDArray[np.float64]

#: a pedicle axis more oblique than this to the posterior direction (cosine; about 60 degrees, far
#: beyond the 35 degree transverse angle of T1 in CLINICAL.md) gives no borders along the lateral axis
MIN_AXIS_COS = 0.5


@dataclass(frozen=True)
class ForaminaFrame:
    """The vertebra's own frame: ``(u, v, t)`` towards the left, superior along the body, posterior.

    Attributes
    ----------
    origin
        The body centroid (LPS mm).
    left
        Unit vector (LPS) of ``u``: the patient's left, across the body axis and the posterior direction.
    axis
        Unit vector (LPS) of ``v``: the body axis towards superior.
    posterior
        Unit vector (LPS) of ``t``: from the body towards the canal, across the body axis.
    """

    origin: FloatArray
    left: FloatArray
    axis: FloatArray
    posterior: FloatArray

    def coords(self, lps: FloatArray) -> FloatArray:
        """``(..., 3)`` LPS points to ``(..., 3)`` frame coordinates ``(u, v, t)``."""
        d = lps - self.origin
        rot = np.stack([self.left, self.axis, self.posterior], axis=1)
        out: FloatArray = d @ rot
        return out

    def to_lps(self, uvt: FloatArray) -> FloatArray:
        """``(..., 3)`` frame coordinates ``(u, v, t)`` to ``(..., 3)`` LPS points."""
        out: FloatArray = uvt @ np.stack([self.left, self.axis, self.posterior], axis=0) + self.origin
        return out


@dataclass(frozen=True)
class PedicleBounds:
    """One pedicle's box in the vertebra's frame (mm), and the body's back beside it.

    The lateral coordinate is ``sign * u`` (growing away from the midline on either side).

    Attributes
    ----------
    side
        The patient's side of the pedicle.
    sign
        +1 for the left pedicle, -1 for the right one.
    u_med, u_lat
        The medial and lateral borders (lateral coordinate) at the isthmus: the most medial and the most
        lateral the pedicle's borders take over the stretch of its axis the isthmus may lie on.
    v_bottom, v_top
        The pedicle mask's bottom and top along the body axis (2nd and 98th percentiles of its voxels
        behind the body).
    t_back
        The pedicle mask's posterior end (98th percentile of ``t``).
    bins
        Lateral coordinate bins at whole mm, from ``floor(u_med) - 2`` to ``ceil(u_lat) + 2``.
    body_back
        The body's posterior ``t`` in each bin, read above the pedicle (``UPPER``) and below it
        (``LOWER``).
    """

    side: Side
    sign: float  # +1 left, -1 right: lateral = sign * u
    u_med: float  # medial border (lateral coordinate sign * u) at the isthmus
    u_lat: float  # lateral border at the isthmus
    v_bottom: float
    v_top: float
    t_back: float  # posterior end of the pedicle mask
    bins: FloatArray  # lateral coordinate bins (1 mm)
    body_back: dict[ForamenLevel, FloatArray]  # the body's posterior t in each bin, above / below


def foramina_frame(volume: Volume, anatomy: VertebraAnatomy) -> ForaminaFrame | None:
    """Body axis from the endplates (else the patient's superior), posterior towards the canal.

    Parameters
    ----------
    volume
        The CT the anatomy was found on (its grid maps the endplate masks to LPS).
    anatomy
        The vertebra: body and canal centroids, and the endplates when found.

    Returns
    -------
    ForaminaFrame or None
        The frame, with its origin at the body centroid; None when the canal's centroid lies within
        1 mm of the body axis through the body's centroid (no posterior direction).
    """
    origin = np.asarray(anatomy.body_centroid_lps, dtype=np.float64)
    axis = np.array([0.0, 0.0, 1.0])
    sup, inf = anatomy.superior_endplate, anatomy.inferior_endplate
    if sup is not None and inf is not None and sup.any() and inf.any():
        d = volume.index_to_lps_points(sup.voxel_indices()).mean(axis=0) - volume.index_to_lps_points(
            inf.voxel_indices()
        ).mean(axis=0)
        n = float(np.linalg.norm(d))
        if n > 1.0:
            axis = d / n
    post = np.asarray(anatomy.canal_centroid_lps, dtype=np.float64) - origin
    post = post - (post @ axis) * axis
    n = float(np.linalg.norm(post))
    if n < 1.0:
        return None
    post /= n
    left = np.cross(post, axis)
    return ForaminaFrame(origin, left, axis, post)


def pedicle_bounds(
    volume: Volume,
    frame: ForaminaFrame,
    anatomy: VertebraAnatomy,
    *,
    side: Side,
    axis: PedicleAxis,
    mask: Mask,
) -> PedicleBounds | None:
    """One pedicle's bounds in the vertebra's frame.

    Parameters
    ----------
    volume
        The CT the anatomy was found on.
    frame
        The vertebra's frame (:func:`foramina_frame`).
    anatomy
        The vertebra (its body mask gives the body's posterior surface).
    side
        The pedicle's side.
    axis
        The pedicle's axis, isthmus and narrowest width.
    mask
        The pedicle's mask on the volume's grid.

    Returns
    -------
    PedicleBounds or None
        None when the axis is more oblique to the posterior direction than ``MIN_AXIS_COS`` allows,
        the narrowest width is not positive, or fewer than 4 of the mask's voxels lie behind the body.
    """
    sign = 1.0 if side is Side.LEFT else -1.0
    uvt = frame.coords(volume.index_to_lps_points(mask.voxel_indices()))
    lat = sign * uvt[:, 0]
    # the borders at the isthmus from the anatomy's own isthmus and narrowest width (measured on the
    # source CT across the axis), widened by the axis's obliquity in the u-t plane: the mask itself
    # is cut obliquely behind the isthmus and would narrow it
    isthmus = frame.coords(np.asarray(axis.isthmus_lps, dtype=np.float64)[None, :])[0]
    direction = frame.coords(
        np.asarray(axis.axis_entry_lps) - np.asarray(axis.axis_target_lps) + frame.origin
    )
    cos_t = abs(float(direction[2])) / max(float(np.hypot(direction[0], direction[2])), 1e-9)
    if cos_t < MIN_AXIS_COS or not axis.min_width_mm > 0.0:
        return None
    half = 0.5 * axis.min_width_mm / cos_t
    # the isthmus may lie anywhere on the stretch of the axis where the widths equal the narrowest
    # within their uncertainty (imaging.foramina_isthmus); an oblique pedicle's walls lie at other
    # lateral places along it: the borders are the most medial and the most lateral they take there
    # (a wider foramen makes heat read nearer it, never further)
    unit = direction / float(np.linalg.norm(direction))
    stretch = isthmus_stretch(
        volume,
        isthmus_lps=axis.isthmus_lps,
        direction_lps=frame.to_lps(unit) - frame.origin,
        left_lps=frame.left,
        width_mm=axis.min_width_mm,
    )
    ends = (0.0,) if stretch is None else (stretch.front_mm, stretch.back_mm)
    lats = [sign * float(isthmus[0] + s * unit[0]) for s in ends]
    u_med, u_lat = min(lats) - half, max(lats) + half
    # the body's posterior surface along the lateral coordinate (1 mm bins), from the body mask
    body = frame.coords(volume.index_to_lps_points(anatomy.body.voxel_indices()))
    bins = np.arange(np.floor(u_med) - 2.0, np.ceil(u_lat) + 3.0)
    everywhere = _back(body, sign, bins)
    outside_body = uvt[:, 2] > np.interp(lat, bins, everywhere) + 0.5
    if outside_body.sum() < 4:
        return None
    v_bottom, v_top = (float(v) for v in np.percentile(uvt[outside_body, 1], [2.0, 98.0]))
    # beside a foramen the body's back is read above (below) the pedicle: at the pedicle's level its
    # root fills the corner between the body and the canal
    backs = {
        ForamenLevel.UPPER: _back(body[body[:, 1] > v_top], sign, bins, everywhere),
        ForamenLevel.LOWER: _back(body[body[:, 1] < v_bottom], sign, bins, everywhere),
    }
    return PedicleBounds(
        side=side,
        sign=sign,
        u_med=u_med,
        u_lat=u_lat,
        v_bottom=v_bottom,
        v_top=v_top,
        t_back=float(np.percentile(uvt[:, 2], 98.0)),
        bins=bins,
        body_back=backs,
    )


def _back(
    body_uvt: FloatArray, sign: float, bins: FloatArray, fallback: FloatArray | None = None
) -> FloatArray:
    """The largest ``t`` of body voxels in each lateral bin (interpolated over empty bins)."""
    if len(body_uvt) < 8 and fallback is not None:
        return fallback
    backs = np.full(len(bins), np.nan)
    k = np.rint(sign * body_uvt[:, 0] - bins[0]).astype(int)
    ok = (k >= 0) & (k < len(bins))
    for i in np.unique(k[ok]):
        backs[i] = float(body_uvt[ok & (k == i), 2].max())
    have = np.isfinite(backs)
    if not have.any():
        if fallback is not None:
            return fallback
        return np.full(len(bins), float(body_uvt[:, 2].max()) if len(body_uvt) else 0.0)
    out: FloatArray = np.interp(bins, bins[have], backs[have])
    return out
