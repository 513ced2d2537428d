"""The disc below a point in the spine: is the bone at a click separated from the bone below it by an
intervertebral disc (L5 and every vertebra above it), or fused with it (the sacrum: S1 is continuous
with the sacral segments below, there is no disc below S1)?

Along the spine a vertebral body reads: trabecular bone, its inferior endplate (a thin bright line),
the disc (soft tissue), the next body's superior endplate, the next body. Below S1 the bone goes on
into S2 with no disc, or ends in the soft tissue and fat of the pelvis in front of the sacrum. The
disc is found as in :mod:`imaging.vertebra_discs` (a dip between two endplate ridges on the mean HU
over a cross-section of the body, :func:`imaging.vertebra_discs.find_discs`), and it must be a disc:
soft tissue, not fat, with the next body beyond it.

Only the point is known (the sacrum's check works from a click alone), not the spine's axis, and the
lumbosacral junction is tilted by the lordosis (the L5-S1 disc faces forward and down, 30-60 degrees
from the axial plane): the profile is taken along a fan of directions pointing down, tilted
backwards and forwards (sagittal) and to the sides (coronal).

Positions are LPS mm (+x patient left, +y posterior, +z superior); CT values HU.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.level_grid import point_lps
from imaging.vertebra_discs import (
    MIN_BODY_HEIGHT_MM,
    MIN_RIDGE_HU,
    PROFILE_RADIUS_MM,
    PROFILE_STEP_MM,
    Disc,
    find_discs,
)
from imaging.vertebra_roi import perpendicular_pair
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]

# -- defaults (anatomical reasons in the comments; every one is a keyword argument) ---------------
#: tilts of the profile from straight down towards the back (+) and the front (-), degrees. Upper
#: lumbar discs are near axial; L5's inferior endplate is tilted by the lumbosacral lordosis (the
#: sacral slope is 30-55 degrees standing, less lying, and the L5-S1 disc is wedged by 10-15 degrees),
#: so L5's axis leans back going down by up to about 45 degrees; 15 degree steps with a section 12 mm
#: across see a disc between them. Tilted further back, a profile from the back of S1 runs along the
#: sacral canal and meets its wall, which is not a disc
SAGITTAL_TILTS_DEG = (-30.0, -15.0, 0.0, 15.0, 30.0, 45.0)
#: tilts towards the patient's left (+) and right (-), degrees: a scoliotic curve or a tilted pelvis
CORONAL_TILTS_DEG = (-15.0, 0.0, 15.0)
#: how far below the point a disc is looked for (mm): a point anywhere in a body lies within one body
#: height (adult bodies up to about 32 mm tall, L5 included) of its inferior endplate, plus half a
#: lumbar disc (up to 12 mm tall)
SEARCH_BELOW_MM = 40.0
#: the profile starts this far above the point (mm): a click on the inferior endplate still has the
#: endplate's ridge on the profile (an endplate blurred by 3 mm slices spans about 4 mm)
START_ABOVE_MM = 4.0
#: the darkest level of a disc, averaged over the cross-section, is at least this (HU): a disc is
#: fibrocartilage (about 70-110 HU) and stays far above fat (-100 HU) with partial volume of its
#: endplates; a dip down to fat is the bone's surface with fat beyond it, not a disc
DISC_MIN_HU = -20.0
#: the bone beyond the disc is the next body: over this length past its endplate it is nowhere as dark
#: as the disc and on average brighter (mm): a body is at least this tall
#: (:data:`imaging.vertebra_discs.MIN_BODY_HEIGHT_MM`); the thin bony wall behind the sacral canal,
#: which a profile from the back of S1 meets past the canal, is not
NEXT_BODY_MM = MIN_BODY_HEIGHT_MM
#: spacing of the samples averaged over each cross-section and between the levels sampled along the
#: profile (mm); the profile is interpolated to :data:`imaging.vertebra_discs.PROFILE_STEP_MM` for the
#: ridge search. An endplate blurred by the CT's 1-3 mm sections spans 2-4 mm, so 1 mm levels keep its
#: ridge; the cross-section's mean needs to cover the section, not every voxel of it
SECTION_STEP_MM = 2.0
LEVEL_STEP_MM = 1.0
#: the profiles must see at least this fraction of their length below the point inside the field of
#: view for "no disc" to mean something (otherwise the answer is unknown)
MIN_IN_VIEW_FRACTION = 0.5


@dataclass(frozen=True)
class DiscBelow:
    """The disc check below a point.

    ``found`` is None when the field of view cuts the region below the point; ``depth_mm`` is the
    disc's centre below the point along ``direction_lps`` (the profile's direction, pointing down).
    """

    found: bool | None
    depth_mm: float
    direction_lps: tuple[float, float, float]
    reason: str


# -- public API -------------------------------------------------------------------------------------
def disc_below(
    volume: Volume,
    point_lps_: Sequence[float] | npt.ArrayLike,
    *,
    search_below_mm: float = SEARCH_BELOW_MM,
    disc_min_hu: float = DISC_MIN_HU,
    next_body_mm: float = NEXT_BODY_MM,
) -> DiscBelow:
    """Is there an intervertebral disc below ``point_lps_`` (a point in a vertebral body)?

    Profiles of the mean HU over a cross-section of radius
    :data:`imaging.vertebra_discs.PROFILE_RADIUS_MM` run from :data:`START_ABOVE_MM` above the point
    to ``search_below_mm`` below it, along the fan of directions of :data:`SAGITTAL_TILTS_DEG` x
    :data:`CORONAL_TILTS_DEG`. A disc below is a dip between two endplate ridges with its centre below
    the point, its darkest level at least ``disc_min_hu``, and the ``next_body_mm`` beyond its lower
    ridge nowhere darker than the dip and on average :data:`imaging.vertebra_discs.MIN_RIDGE_HU`
    brighter. The strongest such disc over the fan is reported.

    Raises
    ------
    ValueError
        If ``point_lps_`` is not 3 finite values or ``search_below_mm`` is not positive.
    """
    centre = point_lps(point_lps_, "point_lps")
    if not search_below_mm > 0:
        raise ValueError(f'Argument "search_below_mm" must be positive, got {search_below_mm}')
    # t runs up the spine (as in imaging.vertebra_discs, so a disc's "lower" endplate is the next body's)
    t = np.arange(-search_below_mm, START_ABOVE_MM + 1e-9, PROFILE_STEP_MM)
    levels = np.arange(-search_below_mm, START_ABOVE_MM + LEVEL_STEP_MM - 1e-9, LEVEL_STEP_MM)
    directions = [_down(s, c) for s, c in itertools.product(SAGITTAL_TILTS_DEG, CORONAL_TILTS_DEG)]
    coarse, coarse_in_view = _profiles(volume, centre, directions, levels)
    # NaN (out of view) spreads to the levels interpolated next to it
    profiles = np.array([np.interp(t, levels, p) for p in coarse])
    in_view = np.array([np.interp(t, levels, v.astype(np.float64)) >= 1.0 for v in coarse_in_view])
    below = t < 0
    if float(in_view[:, below].mean()) < MIN_IN_VIEW_FRACTION:
        return DiscBelow(None, 0.0, _tuple(directions[0]), "the field of view ends below the point")
    best: tuple[Disc, int] | None = None
    for k, profile in enumerate(profiles):
        for disc in find_discs(t, profile):
            if not -search_below_mm < disc.centre_mm < 0:
                continue
            dip = float(np.nanmin(profile[(t > disc.lower_endplate_mm) & (t < disc.upper_endplate_mm)]))
            beyond = profile[(t >= disc.lower_endplate_mm - next_body_mm) & (t < disc.lower_endplate_mm)]
            if dip < disc_min_hu or len(beyond) == 0 or not np.isfinite(beyond).all():
                continue
            if float(beyond.min()) < dip or float(beyond.mean()) < dip + MIN_RIDGE_HU:
                continue
            if best is None or disc.score_hu > best[0].score_hu:
                best = (disc, k)
    if best is None:
        return DiscBelow(
            False,
            0.0,
            _tuple(directions[0]),
            f"no intervertebral disc within {search_below_mm:.0f} mm below the point",
        )
    disc, k = best
    depth = -disc.centre_mm
    return DiscBelow(
        True, depth, _tuple(directions[k]), f"an intervertebral disc {depth:.0f} mm below the point"
    )


# -- helpers ----------------------------------------------------------------------------------------
def _down(sagittal_deg: float, coronal_deg: float) -> FloatArray:
    """Unit LPS direction pointing down, tilted backwards by ``sagittal_deg`` and left by ``coronal_deg``."""
    s, c = np.radians(sagittal_deg), np.radians(coronal_deg)
    out: FloatArray = np.array([np.sin(c), np.cos(c) * np.sin(s), -np.cos(c) * np.cos(s)])
    return out


def _tuple(v: FloatArray) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


def _profiles(
    volume: Volume, centre: FloatArray, directions: list[FloatArray], t: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Mean HU over the cross-section at each ``t`` (mm up the spine, i.e. against each direction).

    Returns ``(profiles, in_view)``, each ``(len(directions), len(t))``; levels whose cross-section
    leaves the field of view are NaN and not in view.
    """
    g = np.arange(-PROFILE_RADIUS_MM, PROFILE_RADIUS_MM + 1e-9, SECTION_STEP_MM)
    uu, vv = np.meshgrid(g, g)
    keep = uu**2 + vv**2 <= PROFILE_RADIUS_MM**2
    pts = []
    for d in directions:
        e1, e2 = perpendicular_pair(d)
        offsets = uu[keep][:, None] * e1 + vv[keep][:, None] * e2
        pts.append(centre[None, None, :] - t[:, None, None] * d[None, None, :] + offsets[None, :, :])
    points = np.stack(pts)  # (directions, levels, section, 3)
    flat = points.reshape(-1, 3)
    inv = volume.lps_to_index
    idx = flat @ inv[:3, :3].T + inv[:3, 3]
    shape = np.asarray(volume.shape)
    inside = np.all((idx >= -0.5) & (idx <= shape - 0.5), axis=-1)
    hu = np.full(len(flat), np.nan)
    if inside.any():
        lo = np.clip(np.floor(idx[inside].min(axis=0)).astype(int) - 1, 0, shape - 1)
        hi = np.clip(np.ceil(idx[inside].max(axis=0)).astype(int) + 2, 1, shape)
        sub = np.asarray(volume.array[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]], dtype=np.float32)
        hu[inside] = ndimage.map_coordinates(sub, (idx[inside] - lo).T, order=1, mode="nearest")
    in_view = inside.reshape(points.shape[:-1]).all(axis=-1)
    profiles: FloatArray = np.where(in_view, hu.reshape(points.shape[:-1]).mean(axis=-1), np.nan)
    return profiles, in_view
