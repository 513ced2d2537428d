"""A pedicle's width at one place along its axis: across its section where the section is widest.

Positions LPS mm, lengths mm. Used by :mod:`imaging.vertebra_pedicles` for the widths across the
pedicle's axis.

A pedicle's cross-section is an oval, widest at mid-height and thinning to its top and bottom; its
width at a place along the axis is that widest extent, whatever height the fitted axis crosses the
section at. Measured at the axis's own height only, the width followed where the axis happened to
run: on 3 mm slices (abdomen-pelvis-ct, L2) an axis 5 mm below the pedicle's middle crosses its
lower edge, where the marrow and the lateral cortex blur below bone level and the line across reads
the medial cortex alone (3.2 mm), while the same pedicle read 11 mm from a click 0.6 mm away whose
axis ran a millimetre higher. Here the line across is measured at every ``STATION_STEP_MM`` of
height within a couple of the source's voxels of the axis (``STATION_REACH_VOXELS``; on the source
CT, :func:`imaging.pedicle_profile.edges_over_heights`), and the width is the widest that two of three
neighbouring heights reach (:func:`imaging.pedicle_waist.widest_width`, the waist's rule). Heights
without a width (the line's point in a hollow, or off bone) are gaps; they do not end the search, since
on 3 mm slices the axis's own height is often such a gap.

No width is dropped as a fused neighbour here: where the axis crosses the pedicle near its edge, most
heights looked at lie beyond the pedicle in narrower bone (a lamina, an articular process), and the
pedicle's own middle heights would be the ones dropped. A neighbour fused with the pedicle at some
heights (a transverse process at the pedicle's back) makes that place read wider; the narrowest
width along the axis (:func:`imaging.pedicle_run.narrowest`) is taken where the pedicle is
clear of it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.pedicle_profile import edges_over_heights
from imaging.pedicle_waist import widest_width
from imaging.vertebra_roi import LpsRoi
from imaging.volume import Volume

__all__ = ["STATION_REACH_MM", "STATION_REACH_VOXELS", "STATION_STEP_MM", "widest_edges"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: heights looked at either side of the axis, in voxels of the source CT's coarsest spacing: the axis's
#: height is known to a voxel or two (its sections are centroids of a bony solid thresholded from voxels
#: this large; abdomen L2, 3 mm voxels: 2-5 mm below the pedicle's middle), while on a fine scan the
#: heights further from the axis reach where the pedicle flares into its neighbours (bone-lesions case1,
#: 1 mm voxels: 12-13 mm from 3 mm above an axis through its 9.6 mm middle) ...
STATION_REACH_VOXELS = 2.5
#: ... and at most this far (mm): half the height of a tall lumbar pedicle's section (~16 mm;
#: *unverified*: CLINICAL.md gives widths only, lumbar pedicles are some 13-16 mm tall in morphometric
#: series), beyond which the heights are no longer this pedicle's
STATION_REACH_MM = 8.0
#: step between the heights (mm): the waist's (imaging.pedicle_waist.WAIST_HEIGHT_STEP_MM), fine
#: enough for the two-of-three rule on an oval 8 mm tall or more
STATION_STEP_MM = 1.0


def widest_edges(
    volume: Volume,
    roi: LpsRoi,
    solid: BoolArray,
    *,
    point: FloatArray,
    across: FloatArray,
    up: FloatArray,
    region: BoolArray | None = None,
) -> tuple[float, float] | None:
    """The pedicle's edges across it near ``point`` at the height where its section is widest.

    Parameters
    ----------
    volume
        Source CT (HU); the profiles are sampled on it.
    roi
        The LPS ROI the masks lie on.
    solid
        Bony solid on the ROI.
    point
        A point on the pedicle's axis (LPS mm).
    across
        Unit vector across the pedicle (perpendicular to its axis, mediolateral).
    up
        Unit vector perpendicular to the axis and to ``across``: the heights are offsets along it.
    region
        The pedicle's traced sections on the ROI (limits the bone run), or None.

    Returns
    -------
    tuple of float or None
        The two edges (mm along ``across`` from the point at the chosen height, negative first), or
        None when no height near the axis (``point`` or a step either side) holds bone across. With
        fewer than three heights giving a width, the edges at the axis's own height (or None).
    """
    reach = min(STATION_REACH_MM, STATION_REACH_VOXELS * float(max(volume.spacing_mm)))
    steps = int(np.floor(reach / STATION_STEP_MM + 1e-9))
    heights: FloatArray = np.arange(-steps, steps + 1, dtype=np.float64) * STATION_STEP_MM
    found = edges_over_heights(
        volume, roi, solid, point=point, across=across, up=up, heights_mm=heights, region=region
    )
    at_axis = int(np.argmin(np.abs(heights)))
    near = range(max(at_axis - 1, 0), min(at_axis + 2, len(heights)))
    if all(found[k] is None for k in near):
        return None  # the axis's point is not in the pedicle: no width here
    widths = np.array([np.nan if e is None else e[1] - e[0] for e in found])
    best = widest_width(heights, widths, fused_factor=None)
    if best is None:
        return found[at_axis]
    return found[best[1]]
