"""Measures of a segmented lesion: volume, largest diameter, HU statistics, position, cortical breach.

Positions LPS mm, volumes mL, HU; the mask lies on the volume's grid ``[slice, row, col]``.
The largest diameter is the largest distance between the LPS centres of the lesion's boundary voxels
(taken on their convex hull for speed), so it is measured centre to centre: about one voxel less than
the extent edge to edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError
from scipy.spatial.distance import pdist

from imaging.bone_outline import bone_outline
from imaging.lesion_grow import LesionParameters
from imaging.lesion_morph import IndexBox, ball_footprint
from imaging.mask import Mask
from imaging.volume import Volume

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

#: the HU percentiles reported
PERCENTILES = (5, 25, 50, 75, 95)
#: lesion outside the bone smaller than this (mm^3) is partial volume at the cortex, not a breach
MIN_BREACH_MM3 = 5.0


@dataclass(frozen=True)
class LesionMeasures:
    """What :func:`lesion_measures` returns (see :class:`imaging.lesion_model.Lesion`)."""

    volume_ml: float
    max_diameter_mm: float
    mean_hu: float
    percentiles_hu: dict[int, float]
    centroid_lps: tuple[float, float, float]
    bbox_lps: tuple[tuple[float, float, float], tuple[float, float, float]]
    cortical_breach: bool
    cortical_breach_lps: tuple[tuple[float, float, float], ...]


def lesion_measures(
    volume: Volume,
    mask: Mask,
    *,
    bone_in_roi: BoolArray | None = None,
    roi_index: IndexBox | None = None,
    min_breach_mm3: float = MIN_BREACH_MM3,
    outside_in_roi: BoolArray | None = None,
    parameters: LesionParameters | None = None,
) -> LesionMeasures:
    """Measure a lesion mask on its volume.

    Parameters
    ----------
    volume
        The CT volume (HU).
    mask
        The lesion, on the volume's grid; must not be empty.
    bone_in_roi
        The bone mask inside ``roi_index`` (both given or neither): enables the cortical breach. The
        lesion breaches the cortex when it touches the tissue outside the bone (:func:`outside_tissue`:
        outside the bone's outline, :func:`bone_outline`, so that low-density marrow inside the cortex is
        not outside the bone, and the tissue in the corners that outline rounds) and at
        least ``min_breach_mm3`` of it, outside the bone, is continuous with that contact; a breach
        point is, for each rim where its surface meets both
        that tissue and the bone (the edge of the hole in the cortex), the centre of that hole: the
        centroid of the lesion voxels filling it, at the depth of its rim (:func:`_gap_centre`). Before
        session 23 it was the rim voxel nearest the rim's centre of mass, on the cortex at the hole's
        edge: up to 6.5 mm from the hole's centre on the breakthrough phantom (QA s22 D10). It still is
        where the edge is not one flat hole (spread more than a voxel off its plane: a lesion leaving
        the bone along a wide, bent stretch): case7's first lesion, and one of the two breaches of
        case4's first lesion seeded without its box (tests/benchmarks/breach_point_figures.py; before
        session 28, when low-density marrow counted as outside tissue, every csv lesion with a breach).
    roi_index
        The index box ``bone_in_roi`` covers; it must hold the whole lesion.
    min_breach_mm3
        Lesion volume outside the bone below which no breach is reported (partial volume).
    outside_in_roi
        Voxels of ``roi_index`` outside the scan (zero-filled, :mod:`imaging.lesion_padding`): they
        are not tissue the lesion could break into.
    parameters
        The segmentation's parameters (defaults when None), of which the breach takes two distances:
        ``envelope_closing_mm`` (3 mm), half the widest gap in the cortex bridged when the bone's outline
        is taken (:func:`bone_outline`; the radius segmentation closes the bone's envelope with, "a cortex
        with small gaps still encloses its marrow": a vascular foramen or a stretch of thin cortex under
        the bone threshold does not open the marrow to the outside), only tissue outside the outline being
        tissue outside the bone; and ``cortex_thickness_mm`` (2 mm): tissue inside that outline within this
        distance of the tissue outside it, along the tissue, is outside the bone too
        (:func:`outside_tissue`: the corners the outline rounds; a path through a gap in the cortex
        crosses the cortex before it reaches the marrow).

    Returns
    -------
    LesionMeasures

    Raises
    ------
    ValueError
        If the mask is empty, on another grid, or outside ``roi_index``.
    """
    if mask.grid_shape != volume.shape:
        raise ValueError(f"mask grid {mask.grid_shape} differs from the volume's {volume.shape}")
    if not mask.any():
        raise ValueError('Argument "mask" is empty: nothing to measure')
    spacing = volume.spacing_mm
    hu = np.asarray(volume.array[mask.slices], dtype=np.float64)[mask.array]
    idx = mask.voxel_indices().astype(np.float64)
    pts = volume.index_to_lps_points(idx)
    boundary = mask.array & ~ndimage.binary_erosion(mask.array, border_value=0)
    bidx = np.argwhere(boundary).astype(np.float64) + np.asarray(mask.offset_index, dtype=np.float64)
    bpts = volume.index_to_lps_points(bidx)
    diameter = _max_distance(bpts, spacing)
    pct = np.percentile(hu, PERCENTILES)
    centroid = pts.mean(axis=0)
    breach = False
    points: tuple[tuple[float, float, float], ...] = ()
    if bone_in_roi is not None and roi_index is not None:
        p = parameters if parameters is not None else LesionParameters()
        outline = bone_outline(bone_in_roi, p.envelope_closing_mm, spacing)
        breach, points = _breach(
            volume,
            mask,
            bone_in_roi,
            roi_index,
            min_breach_mm3,
            outside=outside_in_roi,
            outline=outline,
            reach_mm=p.cortex_thickness_mm,
        )
    return LesionMeasures(
        volume_ml=mask.count() * volume.voxel_volume_ml,
        max_diameter_mm=diameter,
        mean_hu=float(hu.mean()),
        percentiles_hu={int(k): float(v) for k, v in zip(PERCENTILES, pct, strict=True)},
        centroid_lps=_t3(centroid),
        bbox_lps=(_t3(bpts.min(axis=0)), _t3(bpts.max(axis=0))),
        cortical_breach=breach,
        cortical_breach_lps=points,
    )


def outside_tissue(
    beyond: BoolArray, free: BoolArray, reach_mm: float, spacing: tuple[float, float, float]
) -> BoolArray:
    """The tissue outside the bone: ``beyond`` (the tissue outside :func:`bone_outline`) and the tissue
    of ``free`` (not bone, not lesion) reached from it within ``reach_mm`` along a path through ``free``.

    Growing the bone by ``gap_mm`` to take its outline rounds the concave corners of its outer surface
    too: tissue in a corner where two bony surfaces meet at an angle ``a``, up to ``gap_mm * (1 / sin(a /
    2) - 1)`` deep, lies inside the outline though nothing encloses it. So a lesion that opened the body's
    cortex into the canal's corner at the pedicle's root (the vertebra phantom's lesion: a slit 1 mm wide,
    the tissue it touches 1.4 mm inside the outline; tests/imaging/test_lesion_breach_corner.py) read
    "no breach" (session 28, df1ede2). With ``reach_mm`` the cortex's thickness (2 mm,
    ``LesionParameters.cortex_thickness_mm``), a corner of 74 degrees or more opens fully for a 3 mm
    outline, and a gap's mouth opens down to the cortex's depth, while the marrow behind a small gap (a
    path into it crosses the cortex first) and the marrow under an intact cortex stay inside.

    The path is taken in steps no longer than the grid's coarsest spacing, at most ``reach_mm`` in all
    (never farther than ``reach_mm`` along the tissue; on a 1 mm grid, two face steps).
    """
    step = float(max(spacing))
    steps = int(np.floor(reach_mm / step + 1e-9))
    if steps <= 0 or not beyond.any():
        return beyond.copy()
    footprint = ball_footprint(step, spacing)
    reached = beyond.copy()
    for _ in range(steps):
        grown = ndimage.binary_dilation(reached, structure=footprint) & free
        if not (grown & ~reached).any():
            break
        reached |= grown
    return reached


def _max_distance(points: npt.NDArray[np.float64], spacing: tuple[float, float, float]) -> float:
    if len(points) < 2:
        return 0.0
    candidates = points
    if len(points) > 4:
        try:
            candidates = points[ConvexHull(points).vertices]
        except QhullError:  # flat or degenerate (a one-slice lesion): use all boundary points
            candidates = points
    if len(candidates) > 6000:  # keep pdist small; extreme points along many directions
        candidates = candidates[:: int(np.ceil(len(candidates) / 6000))]
    del spacing
    return float(pdist(candidates).max())


def _breach(
    volume: Volume,
    mask: Mask,
    bone: BoolArray,
    roi: IndexBox,
    min_breach_mm3: float,
    *,
    outside: BoolArray | None,
    outline: BoolArray,
    reach_mm: float,
) -> tuple[bool, tuple[tuple[float, float, float], ...]]:
    full = np.zeros(bone.shape, dtype=bool)
    start = [int(s.start) for s in roi]
    rel = tuple(slice(s.start - o, s.stop - o) for s, o in zip(mask.slices, start, strict=True))
    if any(r.start < 0 or r.stop > n for r, n in zip(rel, bone.shape, strict=True)):
        raise ValueError("the lesion does not lie inside roi_index")
    full[rel] = mask.array
    # outside the bone's outline and outside the lesion: marrow under the bone threshold is inside the
    # outline even where a small gap in the cortex lets it reach the outside (before session 28 it was
    # "tissue outside the bone", and a mask drawn in such marrow mid-body read as a breach: QA s28 G2)
    free = ~bone & ~full
    if outside is not None:
        free &= ~outside  # not scanned: nothing to break into
    tissue = outside_tissue(free & ~outline, free, reach_mm, volume.spacing_mm)
    if not tissue.any():
        return False, ()
    contact = full & ndimage.binary_dilation(tissue)  # lesion surface facing extraosseous tissue
    if not contact.any():
        return False, ()
    # the lesion outside the bone: its voxels that are not bone, continuous with that surface (a lesion
    # filling a cortical hole flush with the bone's face, inside the closed outline, still counts)
    loose, _ = ndimage.label(full & ~bone)
    reached = np.unique(loose[contact])
    extraosseous = np.isin(loose, reached[reached > 0])
    if np.count_nonzero(extraosseous) * volume.voxel_volume_ml * 1000.0 < min_breach_mm3:
        return False, ()
    # where the lesion passes through the cortex: its surface touching both the outside tissue and the
    # bone (the rim of the hole in the cortex). One breach per piece of the lesion's surface that faces
    # the outside (the part of it beyond one hole): the ring of one round hole, broken into bits by the
    # voxel staircase, stays one breach; a lesion through both faces of a thin plate makes two
    rim = contact & ndimage.binary_dilation(bone & ~full)
    merged = ndimage.binary_dilation(contact, iterations=2) & ndimage.binary_dilation(full)
    labels, n = ndimage.label(merged, structure=np.ones((3, 3, 3), dtype=bool))
    # each hole's centre is taken from its edge on the tissue outside the bone: a lining of partial-volume
    # voxels one or two voxels thick between a lytic lesion and its marrow or cortex is neither bone nor
    # lesion. Counted as outside tissue it made the "rim" a patchy ring inside the marrow, and it keeps the
    # lesion's surface on the real outside tissue one voxel from the cortex at the hole's edge (QA s22
    # D10: on the breakthrough phantom the rim lay 12.3-13.7 mm from the axis, the hole at 14-16 mm). So
    # the hole's edge is the lesion's surface near the outside tissue (within two voxels of it once
    # opened by the 6-neighbour cross, which drops layers up to two voxels thick, and with them the
    # crease where a lesion's bulge meets the bone's face, and keeps thick tissue) within two voxels of
    # the bone.
    # The pieces (how many breaches) stay those of the whole contact; a piece whose edge is not one flat
    # hole keeps the point it had before session 23
    outer = full & ndimage.binary_dilation(ndimage.binary_opening(tissue), iterations=2)
    outer_rim = outer & ndimage.binary_dilation(bone & ~full, iterations=2)
    if not (rim | outer_rim).any():
        return True, ()
    offset = np.asarray(start, dtype=np.float64)
    rim_idx = np.argwhere(rim | outer_rim)
    on_outer = outer_rim[tuple(rim_idx.T)]
    rim_lps = volume.index_to_lps_points(rim_idx.astype(np.float64) + offset)
    rim_label = labels[tuple(rim_idx.T)]
    lesion_lps = volume.index_to_lps_points(np.argwhere(full).astype(np.float64) + offset)
    points = []
    on_rim = rim[tuple(rim_idx.T)]
    for k in range(1, n + 1):
        outer_own = rim_lps[(rim_label == k) & on_outer]
        centre = _gap_centre(outer_own, lesion_lps, float(max(volume.spacing_mm))) if len(outer_own) else None
        if centre is None:
            # no one flat hole (see _gap_centre): as before session 23, the voxel of the piece's rim nearest
            # the rim's centre of mass, a point on the cortex (a ring-shaped rim has its centre in the
            # lesion); case7's first lesion is such a piece (breach_point_figures.py)
            own = rim_lps[(rim_label == k) & on_rim]
            if not len(own):
                continue
            centre = own[int(np.argmin(np.linalg.norm(own - own.mean(axis=0), axis=1)))]
        points.append(_t3(centre))
    return True, tuple(points)


def _gap_centre(rim: FloatArray, lesion: FloatArray, voxel_mm: float) -> FloatArray | None:
    """The centre of one hole in the cortex: the centroid of the lesion voxels that fill the hole.

    ``rim`` is the hole's edge (lesion voxels touching both the tissue outside and the bone: a ring round
    a round hole), ``lesion`` every lesion voxel (LPS mm). The hole's surface is the plane through the
    rim that fits it best (least squares: its normal is the direction the rim spreads least along); the
    lesion voxels in the hole are those within one voxel (``voxel_mm``) of that plane and no farther
    from the rim's centre, along the plane, than the rim's farthest voxel. Their centroid is the hole's
    centre, at the depth of its rim. A rim of fewer than three voxels, or one along a line, has no
    plane: its centre of mass is used. A rim more than a voxel (RMS) off its plane is not one hole in a
    face: None.
    """
    centre: FloatArray = rim.mean(axis=0)
    if len(rim) < 3:
        return centre
    rel = rim - centre
    _, sing, vt = np.linalg.svd(rel, full_matrices=False)
    if sing[1] <= 1e-9 * max(float(sing[0]), 1.0):
        return centre
    if float(sing[2]) / np.sqrt(len(rim)) > voxel_mm:
        # not one hole in a face: an edge spread more than a voxel (RMS) off any plane is a lesion that
        # leaves the bone along a wide, bent stretch (case7's first lesion: 6.8 mm, its edge around the
        # whole lesion), with no one hole to take the centre of
        return None
    normal = vt[2]
    reach = float(np.max(np.linalg.norm(rel - np.outer(rel @ normal, normal), axis=1)))
    d = lesion - centre
    along = d @ normal
    across = np.linalg.norm(d - np.outer(along, normal), axis=1)
    inside = (np.abs(along) <= voxel_mm) & (across <= reach)
    if not inside.any():
        return centre
    out: FloatArray = lesion[inside].mean(axis=0)
    return out


def _t3(v: npt.ArrayLike) -> tuple[float, float, float]:
    a = np.asarray(v, dtype=np.float64)
    return (float(a[0]), float(a[1]), float(a[2]))
