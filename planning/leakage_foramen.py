"""Foramen bands of the leakage map: vertebral body within the band's width of a neural foramen.

Per side (left, right): where the anatomy carries segmented foramina (``anatomy.foramina``, from
:func:`imaging.vertebra_foramina.with_foramina`) the band is measured from them; a side where none was
found falls back to an *approximate* foramen (``approximate`` true, and said so in the description and
the notes): the region lateral to the canal (from the canal's lateral edge outwards by
``foramen_width_mm``), from the canal's anterior edge back by ``foramen_depth_mm``, above and below
the pedicle (the gap between the pedicles of adjacent levels), outside the body and the pedicles -- an
honest geometric approximation, not anatomy.

Masks are boolean boxes of the leakage map's region of interest (:class:`planning.leakage_zone.ZoneGrid`),
distances mm, positions LPS; the vertebra frame's axes are those of :mod:`planning.leakage_grid`.
"""

from __future__ import annotations

import numpy as np

from imaging.vertebra_model import Side, VertebraAnatomy
from planning.errors import PlanValidationError
from planning.leakage_grid import within_mm
from planning.leakage_zone import NEAR_WALL_SOURCE, LeakageZone, ZoneGrid, ZoneKind

#: Foramen approximation sizes (mm) -- *unverified*: chosen from typical lumbar foraminal sizes
#: (width of the lateral recess/foramen about a centimetre), editable.
FORAMEN_WIDTH_MM = 10.0
FORAMEN_DEPTH_MM = 12.0
#: Pedicle height as a fraction of the body height when no pedicle mask is given -- *unverified*.
PEDICLE_HEIGHT_FRACTION = 0.5


def foramen_bands(
    grid: ZoneGrid,
    anatomy: VertebraAnatomy,
    *,
    foramen_width_mm: float,
    foramen_depth_mm: float,
) -> tuple[list[LeakageZone], list[str]]:
    """The foramen bands of both sides, segmented where found, else approximated; with the notes.

    Parameters
    ----------
    grid
        The region of interest, body and frame coordinates (:class:`planning.leakage_zone.ZoneGrid`).
    anatomy
        The vertebra (its foramina, canal, pedicles and body height).
    foramen_width_mm, foramen_depth_mm
        Size of the approximate foramen region (mm), see the module docstring.

    Returns
    -------
    tuple
        The zones (segmented sides left then right, then the approximated sides in the anatomy's
        pedicle order) and the notes saying which sides were approximated or not drawn.

    Raises
    ------
    PlanValidationError
        If a segmented foramen's mask lies on another grid than the volume's.
    """
    zones, notes, segmented_sides = _segmented_bands(grid, anatomy)
    approximated = [s for s in anatomy.pedicles if s not in segmented_sides]
    if approximated and segmented_sides:
        notes.append(
            "foramen band approximated (not segmented) on the "
            + ", ".join(s.value for s in approximated)
            + " side"
        )
    elif approximated:
        notes.append("neural foramina not segmented: foramen bands approximated")
    if grid.canal_lps.size and approximated:
        zones += _approximate_bands(grid, anatomy, segmented_sides, foramen_width_mm, foramen_depth_mm)
    elif not segmented_sides:
        notes.append("no canal or pedicles: foramen bands not drawn")
    return zones, notes


def _segmented_bands(
    grid: ZoneGrid, anatomy: VertebraAnatomy
) -> tuple[list[LeakageZone], list[str], set[Side]]:
    """The bands measured from the segmented foramina of each side that has some inside the region
    of interest; the notes on foramina not found; and the sides drawn this way."""
    zones: list[LeakageZone] = []
    notes: list[str] = []
    segmented_sides: set[Side] = set()
    if anatomy.foramina is None:
        return zones, notes, segmented_sides
    volume, roi, band_mm = grid.volume, grid.roi, grid.band_mm
    for side in (Side.LEFT, Side.RIGHT):
        found = [f for f in anatomy.foramina.found() if f.side is side and f.mask is not None]
        if not found:
            continue
        seeds = np.zeros(roi.shape, dtype=bool)
        for f in found:
            if f.mask is not None and f.mask.grid_shape != volume.shape:
                raise PlanValidationError(f"foramen {f.name} mask", f.mask.grid_shape, str(volume.shape))
            seeds |= roi.crop(f.mask)
        if not seeds.any():
            continue  # outside this body's region of interest
        segmented_sides.add(side)
        names = ", ".join(f.name for f in found)
        cut = " (cut by the field of view)" if any(f.cut_by_view for f in found) else ""
        zones.append(
            grid.zone(
                ZoneKind.FORAMEN_BAND,
                f"{side.value} foramen band",
                within_mm(seeds, roi.spacing, band_mm, grid.body),
                f"vertebral body within {band_mm:g} mm of the segmented {side.value} neural foramina "
                f"({names}{cut}; {NEAR_WALL_SOURCE})",
            )
        )
    missing = anatomy.foramina.missing_notes()
    if missing:
        notes.append("; ".join(missing))
    return zones, notes, segmented_sides


def _approximate_bands(
    grid: ZoneGrid,
    anatomy: VertebraAnatomy,
    segmented_sides: set[Side],
    foramen_width_mm: float,
    foramen_depth_mm: float,
) -> list[LeakageZone]:
    """The bands of the sides not segmented, measured from the approximate foramen of the module
    docstring. The canal's lateral and anterior edges are taken from the canal beside this body (its
    voxels within the body's superior-inferior extent) when there is any, as robust percentiles (98th
    and 2nd) so that a stray voxel does not move the region."""
    volume, roi, frame, band_mm = grid.volume, grid.roi, grid.frame, grid.band_mm
    bs = grid.body_s
    cl, ca, cs = frame.coords(grid.canal_lps)
    near = (cs >= bs.min()) & (cs <= bs.max())  # the canal beside this body
    if near.any():
        cl, ca = cl[near], ca[near]
    canal_front = float(np.percentile(ca, 2.0))
    zones: list[LeakageZone] = []
    for side, pedicle in anatomy.pedicles.items():
        if side in segmented_sides:
            continue
        sign = 1.0 if side is Side.LEFT else -1.0
        edge = float(np.percentile(sign * cl, 98.0))
        if pedicle.mask is not None and pedicle.mask.any():
            ped_lps = volume.index_to_lps_points(pedicle.mask.voxel_indices())
            _, _, ps = frame.coords(ped_lps)
            p_lo, p_hi = float(ps.min()), float(ps.max())
            ped_box = roi.crop(pedicle.mask)
            how = "pedicle mask"
        else:
            _, _, p_mid = frame.coords(np.asarray(pedicle.isthmus_lps, dtype=np.float64)[None, :])
            half = 0.5 * PEDICLE_HEIGHT_FRACTION * anatomy.body_height_mm
            p_lo, p_hi = float(p_mid[0]) - half, float(p_mid[0]) + half
            ped_box = np.zeros(roi.shape, dtype=bool)
            how = f"pedicle height assumed {PEDICLE_HEIGHT_FRACTION:g} x body height (*unverified*)"
        eps = 1e-6  # keeps ties on voxel centres symmetric between the sides
        foramen = (
            (sign * grid.l_c >= edge - eps)
            & (sign * grid.l_c <= edge + foramen_width_mm + eps)
            & (grid.a_c >= canal_front - 2.0 - eps)
            & (grid.a_c <= canal_front + foramen_depth_mm + eps)
            & ((grid.s_c < p_lo - eps) | (grid.s_c > p_hi + eps))
            & ~grid.body
            & ~ped_box
        )
        if not foramen.any():
            continue
        zones.append(
            grid.zone(
                ZoneKind.FORAMEN_BAND,
                f"{side.value} foramen band",
                within_mm(foramen, roi.spacing, band_mm, grid.body),
                f"vertebral body within {band_mm:g} mm of the {side.value} neural foramen, approximated "
                f"(not segmented) as the region lateral to the canal ({foramen_width_mm:g} mm wide, "
                f"{foramen_depth_mm:g} mm deep) above and below the pedicle ({how})",
                approximate=True,
            )
        )
    return zones
