"""The spinal canal as one tube through a vertebra's height, for safety distances.

:func:`imaging.vertebra_canal.find_canal` finds the canal only on the slices where bone encloses it
(the pedicles' level, typically 6-9 mm of spine). A heat zone centred lower or higher in the body
comes closest to the canal at its own level, where that canal is missing, and the distance would
read too far (the unsafe side). :func:`canal_tube` carries the enclosed sections' outline along the
canal, slice by slice, through the body's whole height and past its endplates by
:data:`TUBE_BEYOND_ENDPLATE_MM`, and keeps within it only what is canal: not bone, not the body, and
canal-dark (below :data:`TUBE_DARK_HU`, grown to the half-maximum of its rim as the enclosed
sections are). Where the canal is enclosed, the tube holds the enclosed section whole (never
narrower). The anatomy keeps the enclosed canal for its own use (pedicles, labels, foramina); the
tube is what heat and needle distances are measured against.

Works on an :class:`imaging.vertebra_roi.LpsRoi` (LPS-aligned, isotropic; axis 0 runs superior,
axis 1 posterior, axis 2 left). Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.body_result import BodyResult
from imaging.bony_masks import BonyMasks
from imaging.canal_holes import CANAL_DARK_FLOOR_HU, grow_to_half_maximum
from imaging.vertebra_canal import CANAL_CONSISTENCY_MM, CanalResult
from imaging.vertebra_roi import LpsRoi

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["TUBE_BEYOND_ENDPLATE_MM", "TUBE_DARK_HU", "body_canal_tube", "canal_tube"]

#: the tube runs past each endplate this far (mm): a zone is centred in the body (the target is its
#: anterior-middle third, CLINICAL.md) and reaches at most half its length beyond its centre, 21.5 mm
#: for the longest zone in CLINICAL.md's table (NeuWave 65 W 10 min, 43 mm); canal further from the
#: endplate than that is further from the zone than canal at the zone's own levels
TUBE_BEYOND_ENDPLATE_MM = 21.5
#: canal contents read about water (CSF 0-15 HU, cord and roots 30-40 HU, epidural fat below 0:
#: :data:`imaging.canal_holes.CANAL_DARK_FLOOR_HU` is the canal finder's own limit); the disc and
#: the ligaments around the canal read brighter and are left out
TUBE_DARK_HU = CANAL_DARK_FLOOR_HU
#: an enclosed section smaller than this fraction of the median section is a partial one (mm^2 / mm^2)
WHOLE_SECTION_FRACTION = 0.7
#: the canal's front is read across this half-width about its centre (mm): the midline third of a
#: canal 15-25 mm wide, clear of the lateral recesses
FRONT_HALF_WIDTH_MM = 3.0
#: the search stops after this many slices without canal (mm of spine): the field of view's edge or
#: a canal that cannot be told from its surroundings is not bridged by guessing
TUBE_MAX_GAP_MM = 3.0


def body_canal_tube(roi: LpsRoi, canal: CanalResult, masks: BonyMasks, body: BodyResult) -> BoolArray:
    """The canal tube through the body's height and :data:`TUBE_BEYOND_ENDPLATE_MM` past each endplate.

    Parameters
    ----------
    roi
        The vertebra's LPS ROI.
    canal
        The canal found where bone encloses it.
    masks
        The ROI's bone (:func:`imaging.bony_masks.bony_solid`).
    body
        The vertebral body found (its mask on the ROI grid and its axis).

    Returns
    -------
    ndarray of bool
        The tube on the ROI grid (see :func:`canal_tube`); the enclosed canal alone without a body.
    """
    if not body.body.any():
        return canal.mask.copy()
    z = roi.voxel_points_lps(body.body)[:, 2]
    reach = (float(z.min()) - TUBE_BEYOND_ENDPLATE_MM, float(z.max()) + TUBE_BEYOND_ENDPLATE_MM)
    return canal_tube(
        roi,
        canal,
        bone=masks.bone,
        body=body.body,
        smoothed=masks.smoothed,
        axis_lps=body.axis_lps,
        z_range_lps=reach,
    )


def canal_tube(
    roi: LpsRoi,
    canal: CanalResult,
    *,
    bone: BoolArray,
    body: BoolArray,
    smoothed: npt.NDArray[np.float32],
    axis_lps: npt.ArrayLike,
    z_range_lps: tuple[float, float],
) -> BoolArray:
    """The canal through ``z_range_lps`` (and its enclosed sections wherever they are), on the ROI grid.

    From one slice to the next the outline keeps as far behind the canal's front (the posterior wall,
    or the disc behind which the canal lies) as it is in the whole enclosed sections
    (:func:`_follow_front`), and drifts sideways with ``axis_lps``. It does not follow the centroid
    of what it finds: where the body cuts the outline's front and soft tissue behind the canal reads
    as dark as the canal (between the laminae), that centroid lies behind the canal's and would walk
    the outline out of it, slice after slice.

    Parameters
    ----------
    roi
        The vertebra's LPS ROI.
    canal
        The canal found where bone encloses it (its mask is on the ROI grid).
    bone
        The ROI's bone (smoothed HU above the bone threshold).
    body
        The vertebral body on the ROI grid.
    smoothed
        Smoothed HU on the ROI.
    axis_lps
        The body's axis (unit, superior; within 45 degrees of the scanner axis).
    z_range_lps
        Lowest and highest LPS z (mm) the tube must span (the body's extent; the caller adds
        :data:`TUBE_BEYOND_ENDPLATE_MM`).

    Returns
    -------
    ndarray of bool
        The tube on the ROI grid: every enclosed section, and between and beyond them the canal-dark,
        non-bone voxels inside the enclosed outline carried along the canal.
    """
    tube = canal.mask.copy()
    enclosed = np.flatnonzero(canal.mask.any(axis=(1, 2)))
    if len(enclosed) == 0:
        return tube
    sp = roi.spacing_mm
    k_lo = max(0, int(np.floor(roi.lps_to_index(np.array([0.0, 0.0, z_range_lps[0]]))[0])))
    k_hi = min(roi.shape[0] - 1, int(np.ceil(roi.lps_to_index(np.array([0.0, 0.0, z_range_lps[1]]))[0])))
    # partial sections (where the ring just closes: a front or back sliver) would put the outline's
    # centre off the canal; the outline and the front's offset come from the whole ones
    areas = canal.mask[enclosed].sum(axis=(1, 2))
    whole = [int(k) for k in enclosed[areas >= WHOLE_SECTION_FRACTION * np.median(areas)]]
    outline, outline_centre = _outline(canal.mask, whole)
    half = max(1, round(FRONT_HALF_WIDTH_MM / sp))
    open_canal = ~bone & ~body & roi.inside & (smoothed < TUBE_DARK_HU)
    reach = ~body & roi.inside
    behind_front = float(np.median([_behind_front(canal.mask[k], open_canal[k], half) for k in whole]))
    axis = np.asarray(axis_lps, dtype=np.float64)
    # ROI columns run along +x (left), slices along +z, one spacing: the sideways drift per slice
    along = max(abs(float(axis[2])), float(np.cos(np.radians(45.0))))
    lateral = float(axis[0]) / along
    sagittal = float(axis[1]) / along
    drift_px = CANAL_CONSISTENCY_MM / sp
    # sweeps out from the lowest whole section, each section tied to the one before it
    for stop, step in ((max(k_hi, int(enclosed[-1])), 1), (k_lo, -1)):
        centre = _centroid(canal.mask[whole[0]])
        anchor, anchor_row = whole[0], float(centre[0])
        prev = canal.mask[whole[0]]
        gap = 0
        lost = False
        for k in range(whole[0] + step, stop + step, step):
            if canal.mask[k].any():
                prev, gap, lost = canal.mask[k], 0, False
                if k in whole:
                    centre = _centroid(canal.mask[k])
                    anchor, anchor_row = k, float(centre[0])
                continue
            if lost:
                continue  # until the next enclosed section
            centre = _follow_front(open_canal[k], centre + np.array([0.0, lateral]), behind_front, half)
            # never further than the canal finder's own consistency from the line along the body's axis
            # through the nearest whole section (a front that recedes, e.g. into a dark disc, is not
            # followed out of the canal)
            carried = anchor_row + (k - anchor) * sagittal
            centre[0] = float(np.clip(centre[0], carried - drift_px, carried + drift_px))
            placed = _placed(outline, outline_centre, centre, canal.mask.shape[1:])
            section = (
                None
                if placed is None
                else _section(placed, open_canal[k], reach[k], smoothed[k], prev=prev, sp=sp)
            )
            if section is None:
                gap += 1
                lost = gap * sp > TUBE_MAX_GAP_MM
                continue
            tube[k] = section
            prev, gap = section, 0
    return tube


def _behind_front(section: BoolArray, open_canal: BoolArray, half: int) -> float:
    """How far (rows) a whole section's centroid lies behind the front of its open canal (the median
    first open row of the columns within ``half`` of the centroid's): the front is read on open canal
    on the other slices too, so the blurred rim the section holds is left out of both."""
    centre = _centroid(section)
    inner = section & open_canal
    c = round(float(centre[1]))
    cols = [j for j in range(max(0, c - half), min(section.shape[1], c + half + 1)) if inner[:, j].any()]
    front = float(np.median([np.argmax(inner[:, j]) for j in cols])) if cols else float(centre[0])
    return float(centre[0]) - front


def _follow_front(open_canal: BoolArray, predicted: FloatArray, behind_front: float, half: int) -> FloatArray:
    """The outline's centre on a slice: as far behind the canal's front as in the whole sections.

    The front is read on the columns within ``half`` of the predicted centre: from the predicted
    centre forwards while the voxels are open canal (canal-dark, not bone, not body), or, where the
    centre is not open canal, the first open voxel behind it within ``behind_front``. The centre
    moves at most one row per slice (a canal within 45 degrees of the scanner axis, as
    :func:`imaging.canal_result.canal_from_mask` holds its line); without a front read it stays.
    """
    row, col = round(float(predicted[0])), round(float(predicted[1]))
    rows = open_canal.shape[0]
    r0 = min(max(row, 0), rows - 1)
    fronts: list[int] = []
    for j in range(max(0, col - half), min(open_canal.shape[1], col + half + 1)):
        column = open_canal[:, j]
        if column[r0]:
            closed = np.flatnonzero(~column[:r0])
            fronts.append(int(closed[-1]) + 1 if len(closed) else 0)
        else:
            hits = np.flatnonzero(column[r0 : r0 + round(behind_front) + 1])
            if len(hits):
                fronts.append(r0 + int(hits[0]))
    if not fronts:
        return predicted
    wanted = float(np.median(fronts)) + behind_front
    out: FloatArray = np.array(
        [predicted[0] + float(np.clip(wanted - predicted[0], -1.0, 1.0)), predicted[1]]
    )
    return out


def _outline(mask: BoolArray, enclosed: list[int]) -> tuple[BoolArray, FloatArray]:
    """The union of the enclosed sections, each centred on its own centroid, and that centre (pixels)."""
    rel: list[npt.NDArray[np.intp]] = []
    for k in enclosed:
        px = np.argwhere(mask[k])
        rel.append(px - np.rint(px.mean(axis=0)).astype(np.intp))
    pts = np.concatenate(rel)
    lo = pts.min(axis=0)
    shape = tuple(int(v) for v in pts.max(axis=0) - lo + 1)
    out = np.zeros(shape, dtype=bool)
    out[pts[:, 0] - lo[0], pts[:, 1] - lo[1]] = True
    return out, -lo.astype(np.float64)


def _centroid(plane: BoolArray) -> FloatArray:
    out: FloatArray = np.argwhere(plane).mean(axis=0)
    return out


def _placed(
    outline: BoolArray, outline_centre: FloatArray, centre: FloatArray, shape: tuple[int, ...]
) -> BoolArray | None:
    """The outline placed with its centre at ``centre`` on a slice of ``shape`` (None: off the slice)."""
    placed = np.zeros(shape, dtype=bool)
    origin = np.rint(centre - outline_centre).astype(int)
    lo = np.maximum(origin, 0)
    hi = np.minimum(origin + outline.shape, shape)
    if np.any(hi <= lo):
        return None
    placed[lo[0] : hi[0], lo[1] : hi[1]] = outline[
        lo[0] - origin[0] : hi[0] - origin[0], lo[1] - origin[1] : hi[1] - origin[1]
    ]
    return placed


def _section(
    placed: BoolArray,
    allowed: BoolArray,
    reach: BoolArray,
    hu: npt.NDArray[np.float32],
    *,
    prev: BoolArray,
    sp: float,
) -> BoolArray | None:
    """One slice's canal: within the ``placed`` outline, its ``allowed`` voxels (open canal) grown to the
    half-maximum of their rim within ``reach``, the parts touching the previous slice's section."""
    dark = placed & allowed
    if not dark.any():
        return None
    # out to the half-maximum of the rim, as the enclosed sections are (the bone threshold alone
    # leaves the blurred inner edge of the bone out), never into the body
    grown = ndimage.binary_fill_holes(grow_to_half_maximum(dark, hu, sp) & placed & reach)
    labels, _ = ndimage.label(grown, structure=np.ones((3, 3), dtype=bool))
    touching = np.unique(labels[ndimage.binary_dilation(prev) & grown])
    touching = touching[touching > 0]
    if len(touching) == 0:
        return None
    out: BoolArray = np.isin(labels, touching)
    return out
