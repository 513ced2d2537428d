"""A refused vertebra click on a rib: the point lies in a long thin bar of bone, not in a vertebral body.

QA session 21 F7 and later probes: clicks on ribs were refused with whatever the body search ran into
from them, which says nothing of where the point is, or misleads: "no spinal canal enclosed by bone
behind the point" (abdomen, 3 mm, beside T12), "the point is on the disc between two vertebrae" and "the
body found is 65 mm across" (chest CT). A rib is told by its shape, not its HU: a tube of cortex round
marrow, 6-12 mm thick, that runs on as a thin bar far beyond anything of a vertebra (a transverse process
ends 3-5 cm from the midline, :mod:`imaging.level_ribs`; a spinous process is a few cm long).

:func:`bar_at_point` judges the bone that holds the point as a bar. Sections are read square to a
direction, on a disc of ``SECTION_RADIUS_MM`` (the CT trilinear, averaged over three planes 1 mm apart
and smoothed ``SMOOTH_MM``, bone above :data:`imaging.level_grid.BONE_THRESHOLD_HU`, the holes a cortex
encloses filled): the bar's axis at the point is the direction whose section through the point is the
smallest. From there the bar is followed both ways, ``STEP_MM`` at a time, each next section taken
square to whichever direction within ``TURN_DEG`` of the last gives the smallest one (a rib curves
round the chest), and re-centred on it. It stops where the section is not a bar's (wider than the disc,
more than ``MAX_SECTION_MM2`` or thicker than ``MAX_THICKNESS_MM``: the bar has joined a vertebra, a
plate or another bone) or where no bone lies within ``GAP_MM`` of its line (the bar ends), or once it
has run ``MIN_BAR_MM``. :func:`rib_refusal` refuses a point whose bar runs that far as most likely a rib.

A rib's head pressed against the body or a transverse process is not told apart from them: its section
takes in the vertebra's bone, so no bar is found at the point and the search's own refusal stands.

A bar that meets a transverse process is not told apart from the process either: clicks on the tips of
the chest's T8 left and T11 right transverse processes, where the ribs' tubercles meet them, follow the
rib on as a bar, and three of the 16 rib clicks of tests/benchmarks/rib_click_figures.py, on rib necks
just in front of the processes, lie as far from the canal (:func:`imaging.spine_place.spine_place`: the
tips 22 and 27 mm beyond the canal's side edge, the necks 28, 34 and 38 mm; session 25). Where
:mod:`imaging.spine_place` puts the point on a transverse process, the refusal names both.
Positions LPS mm; HU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.click_tissue import ClickTissue
from imaging.level_grid import BONE_THRESHOLD_HU
from imaging.spine_place import Place, spine_place
from imaging.vertebra_errors import ClickNotInBodyError
from imaging.vertebra_metal import MetalFinding
from imaging.vertebra_roi import perpendicular_pair, sample_source_hu
from imaging.volume import Volume

__all__ = [
    "GAP_MM",
    "MAX_SECTION_MM2",
    "MAX_THICKNESS_MM",
    "MIN_BAR_MM",
    "SECTION_RADIUS_MM",
    "BoneBar",
    "bar_at_point",
    "rib_refusal",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: a bar running on this far (mm) from the point is a rib, not part of a vertebra: a transverse process
#: ends 3-5 cm from the midline (:mod:`imaging.level_ribs`), 1-3 cm beyond its pedicle; a spinous process
#: is a few cm long (chest CT: 24-40 mm traced from T9-T11's, abdomen: 16-20 mm); a rib runs on for 10-20 cm
#: (every chest rib click followed here ran past 100 mm, the abdomen's T12 rib 76 mm)
MIN_BAR_MM = 60.0
#: radius of the disc a section is read on (mm): a rib is about 12 x 8 mm across (:mod:`imaging.level_ribs`),
#: so a section reaching the disc's rim (30 mm across) is a plate or a bar joining other bone
SECTION_RADIUS_MM = 15.0
#: largest section of a bar (mm^2): a rib's, about 100 mm^2 (:mod:`imaging.level_ribs`), at most tripled
#: by blur on 3 mm voxels
MAX_SECTION_MM2 = 300.0
#: thickest bar (mm, twice the largest circle its section holds): a rib is 6-12 mm thick
#: (:mod:`imaging.level_grid`); a bar joining a vertebral body or an arch is thicker there
MAX_THICKNESS_MM = 12.0
#: the bar is followed this far at a time (mm), and may turn up to TURN_DEG between steps: a rib's tightest
#: curve, at its angle, turns about 60 degrees over 3 cm
STEP_MM = 4.0
TURN_DEG = 20.0
#: bone within this distance (mm) of the bar's line carries it on: a gap the scan's blur leaves, no more
GAP_MM = 3.0
#: the point lies in the bar's section when it lies within this distance (mm) of it (partial volume at the
#: cortex's edge)
AT_POINT_MM = 1.0
#: in-plane sampling (mm) and the smoothing of a section before the bone threshold (mm; the smoothing
#: :data:`imaging.level_grid.BONE_THRESHOLD_HU` goes with)
SAMPLE_MM = 1.0
SMOOTH_MM = 1.0
#: directions tried for the bar's axis at the point (a half sphere), and how many of the smallest
#: sections, at least AXIS_APART_DEG apart, the bar is followed from
AXIS_CANDIDATES = 80
AXIS_TRIES = 3
AXIS_APART_DEG = 30.0


@dataclass(frozen=True)
class BoneBar:
    """A thin bar of bone followed from a point (:func:`bar_at_point`).

    ``length_mm`` is how far it was followed, both ways together (at most ``MIN_BAR_MM``);
    ``section_mm2`` and ``thickness_mm`` are the medians over its sections.
    """

    length_mm: float
    section_mm2: float
    thickness_mm: float

    @property
    def rib_long(self) -> bool:
        """Whether the bar runs on as far as a rib does (``MIN_BAR_MM``)."""
        return self.length_mm >= MIN_BAR_MM


def rib_refusal(
    volume: Volume, click: FloatArray, tissue: ClickTissue, *, metal: MetalFinding | None
) -> ClickNotInBodyError | None:
    """The refusal of a point on a rib, said so, else None (see the module's notes).

    Called when the vertebra search from the point was refused; ``tissue`` is what the point reads
    (:func:`imaging.click_tissue.click_tissue`) and ``metal`` the metal in the search region, which is
    added to the reason.
    """
    bar = bar_at_point(volume, click)
    if bar is None or not bar.rib_long:
        return None
    place = spine_place(volume, click)
    if place.place is Place.TRANSVERSE:
        # a process' tip and the rib's neck in front of it lie as far from the canal: both are named
        where = (
            f"lies on a long thin bar of bone {place.beside_mm:.0f} mm to the side of the spinal canal, "
            "level with it or behind it: on a transverse process or the rib that meets it, not in a "
            f"vertebral body: the bar runs on for {bar.length_mm:.0f} mm or more"
        )
    else:
        where = (
            "lies on a long thin bar of bone, most likely a rib, not in a vertebral body: the bar runs on "
            f"for {bar.length_mm:.0f} mm or more"
        )
    reason = (
        f"the point ({tissue.median_hu:.0f} HU) {where}, {bar.section_mm2:.0f} mm² across and "
        f"{bar.thickness_mm:.0f} mm thick, longer than any process of a vertebra; click inside a vertebral "
        "body, in front of its spinal canal (a rib's head lies beside the body it joins)"
    )
    if metal is not None:
        reason = f"{reason}; {metal.refusal_note()}"
    return ClickNotInBodyError(reason, click)


def bar_at_point(volume: Volume, point_lps: npt.ArrayLike) -> BoneBar | None:
    """The thin bar of bone holding the point, followed up to ``MIN_BAR_MM``, or None.

    None when the point is not in bone (within ``AT_POINT_MM`` of it) or the bone there is not a bar's
    (every section through the point is wider than the disc, larger than ``MAX_SECTION_MM2`` or thicker
    than ``MAX_THICKNESS_MM``). The bar is followed from the ``AXIS_TRIES`` smallest sections through
    the point whose directions lie at least ``AXIS_APART_DEG`` apart, and the longest run is kept: on 3 mm
    voxels a rib's bone above the threshold is beaded, and the smallest section at a click on a bead's
    edge may cut across the bead, not the rib (abdomen CT, the QA's click beside T12: 15 mm^2, its
    direction 86 degrees from the rib's axis found 5 mm along it).
    """
    point = np.asarray(point_lps, dtype=np.float64)
    sections = _sections_at(volume, point)
    if sections is None:
        return None
    best: BoneBar | None = None
    tried: list[FloatArray] = []
    apart = np.cos(np.radians(AXIS_APART_DEG))
    for axis, first in sections:
        if len(tried) == AXIS_TRIES:
            break
        if first.offset_mm > AT_POINT_MM or not first.is_bar:
            continue
        if any(abs(float(axis @ t)) > apart for t in tried):
            continue
        tried.append(axis)
        bar = _bar_along(volume, axis, first)
        if best is None or bar.length_mm > best.length_mm:
            best = bar
        if best.rib_long:
            break
    return best


def _bar_along(volume: Volume, axis: FloatArray, first: _Section) -> BoneBar:
    """The bar followed both ways from its section ``first`` square to ``axis``, up to ``MIN_BAR_MM``."""
    sections = [first]
    run = _follow(volume, first.centre_lps, axis, MIN_BAR_MM, sections)
    if run < MIN_BAR_MM:
        run += _follow(volume, first.centre_lps, -axis, MIN_BAR_MM - run, sections)
    return BoneBar(
        length_mm=run,
        section_mm2=float(np.median([s.area_mm2 for s in sections])),
        thickness_mm=float(np.median([s.thickness_mm for s in sections])),
    )


# -- helpers ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Section:
    """The piece of bone nearest a section's centre: area (mm^2), centroid (LPS), thickness (mm, twice
    its largest inscribed circle's radius), its distance from the centre (mm) and whether it reaches the
    disc's rim."""

    area_mm2: float
    centre_lps: FloatArray
    thickness_mm: float
    offset_mm: float
    reaches_rim: bool

    @property
    def is_bar(self) -> bool:
        return (
            not self.reaches_rim
            and self.area_mm2 <= MAX_SECTION_MM2
            and self.thickness_mm <= MAX_THICKNESS_MM
        )


def _disc_grid() -> tuple[FloatArray, FloatArray, BoolArray, BoolArray, FloatArray]:
    g = np.arange(-SECTION_RADIUS_MM, SECTION_RADIUS_MM + SAMPLE_MM / 2, SAMPLE_MM)
    u, v = np.meshgrid(g, g, indexing="ij")
    radius = np.hypot(u, v)
    disc = radius <= SECTION_RADIUS_MM
    rim = disc & ~ndimage.binary_erosion(disc)
    return u, v, disc, rim, radius


_U, _V, _DISC, _RIM, _RADIUS = _disc_grid()
#: the three planes a section averages, 1 mm apart along the direction, and their weights
_PLANES = ((-1.0, 0.25), (0.0, 0.5), (1.0, 0.25))


def _section(volume: Volume, centre: FloatArray, direction: FloatArray) -> _Section | None:
    """The section square to ``direction`` through ``centre``: the piece of bone nearest the centre, or
    None when no bone lies on the disc."""
    e1, e2 = perpendicular_pair(direction)
    in_plane = _U[..., None] * e1 + _V[..., None] * e2
    hu = np.zeros(_U.shape)
    for along, weight in _PLANES:
        pts = centre + along * direction + in_plane
        hu += weight * sample_source_hu(volume, pts)
    smooth = ndimage.gaussian_filter(hu, SMOOTH_MM / SAMPLE_MM)
    solid = ndimage.binary_fill_holes((smooth >= BONE_THRESHOLD_HU) & _DISC)
    labels, count = ndimage.label(solid)
    if count == 0:
        return None
    nearest = ndimage.minimum(_RADIUS, labels, index=np.arange(1, count + 1))
    which = int(np.argmin(nearest)) + 1
    piece = labels == which
    inscribed = float(ndimage.distance_transform_edt(np.pad(piece, 1)).max()) * SAMPLE_MM
    offset = (float(_U[piece].mean()), float(_V[piece].mean()))
    return _Section(
        area_mm2=float(piece.sum()) * SAMPLE_MM**2,
        centre_lps=centre + offset[0] * e1 + offset[1] * e2,
        thickness_mm=2.0 * inscribed,
        offset_mm=float(nearest[which - 1]),
        reaches_rim=bool((piece & _RIM).any()),
    )


def _half_sphere(n: int) -> FloatArray:
    """``n`` directions spread evenly over a half sphere (a Fibonacci lattice)."""
    i = np.arange(n) + 0.5
    polar = np.arccos(1.0 - i / n)
    azimuth = np.pi * (1.0 + 5.0**0.5) * i
    out: FloatArray = np.stack(
        [np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)], axis=1
    )
    return out


_AXES = _half_sphere(AXIS_CANDIDATES)


def _sections_at(volume: Volume, point: FloatArray) -> list[tuple[FloatArray, _Section]] | None:
    """The sections through the point square to each of the ``AXIS_CANDIDATES`` directions, a bar's
    first (:func:`_bar_first`); None when one holds no bone."""
    found: list[tuple[FloatArray, _Section]] = []
    for direction in _AXES:
        section = _section(volume, point, direction)
        if section is None:
            return None
        found.append((direction, section))
    return sorted(found, key=lambda pair: _bar_first(pair[1]))


def _bar_first(section: _Section) -> tuple[bool, float]:
    """Sections sorted by this come a bar's first: one inside the disc before one reaching its rim, then
    the smaller. A plane nearly tangent to a bar's surface, through a point at its edge, cuts a
    thin strip of it, smaller than its section but long (chest CT, a click on a rib's lower edge where
    the slice grazes it: a 78 mm^2 strip reaching the rim against a section of about 100 mm^2)."""
    return (section.reaches_rim, section.area_mm2)


def _cone(direction: FloatArray) -> list[FloatArray]:
    """``direction`` and eight directions ``TURN_DEG`` around it."""
    e1, e2 = perpendicular_pair(direction)
    tilt = np.radians(TURN_DEG)
    out = [direction]
    for k in range(8):
        turn = 2.0 * np.pi * k / 8
        out.append(np.cos(tilt) * direction + np.sin(tilt) * (np.cos(turn) * e1 + np.sin(turn) * e2))
    return out


def _follow(
    volume: Volume, start: FloatArray, direction: FloatArray, limit_mm: float, sections: list[_Section]
) -> float:
    """How far (mm, at most ``limit_mm``) the bar runs on from ``start`` along ``direction``; its
    sections are added to ``sections``."""
    here, heading, run = start, direction, 0.0
    while run < limit_mm:
        ahead = here + STEP_MM * heading
        found = [s for d in _cone(heading) if (s := _section(volume, ahead, d)) is not None]
        found = [s for s in found if s.offset_mm <= GAP_MM]
        if not found:
            break  # the bar ends
        best = min(found, key=_bar_first)
        if not best.is_bar:
            break  # it joins broader or thicker bone
        moved = best.centre_lps - here
        if float(np.linalg.norm(moved)) < 1e-6:
            break
        heading = moved / np.linalg.norm(moved)
        here = best.centre_lps
        run += STEP_MM
        sections.append(best)
    return min(run, limit_mm)
