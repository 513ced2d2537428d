"""Cortical and endplate defects of a vertebral body: where the lesion breaks the cortex.

A defect is where the lesion's own cortical-breach points lie (``Lesion.cortical_breach_lps``, measured
by :mod:`imaging.lesion_measure`: the figure the Lesions table shows as Breach): a point on an endplate
is an endplate defect (disc-leak risk), any other a cortical defect. A lesion that only touches an
endplate from inside the body is contact, not a defect: it is reported as such. One definition, so the
leakage risk (:mod:`planning.target_findings`) and the Lesions table agree.

Arrays are boolean boxes of the leakage map's region of interest (:class:`planning.leakage_grid.Roi`),
positions LPS mm, distances mm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from imaging.mask import Mask
from imaging.volume import Volume
from planning.leakage_grid import BoolArray, Roi, VertebraFrame, axis_index, body_face


@dataclass(frozen=True, eq=False)
class Defect:
    """One defect zone to draw: ``label`` "superior" / "inferior" for an endplate, None for the cortex."""

    label: str | None
    box: BoolArray
    description: str


def breach_defects(
    volume: Volume,
    roi: Roi,
    frame: VertebraFrame,
    *,
    body: BoolArray,
    endplates: tuple[Mask | None, Mask | None],
    lesion_mask: Mask | None,
    cortical_breach_lps: Sequence[Sequence[float]],
    band_mm: float,
) -> tuple[list[Defect], list[str]]:
    """The defect zones (body within ``band_mm`` of the breach points) and the endplates the lesion
    only touches.

    Parameters
    ----------
    volume, roi, frame
        The grid, the region of interest and the vertebra's frame of the leakage map.
    body
        The body in the region of interest.
    endplates
        The superior and inferior endplate masks (None: the body's surface facing the disc is used).
    lesion_mask
        The lesion (for contact), or None.
    cortical_breach_lps
        The lesion's cortical-breach points.
    band_mm
        The band around each breach point.

    Returns
    -------
    (defects, contacts)
        Endplate defects first, then the other cortical defects; ``contacts`` lists "superior" /
        "inferior" for an endplate the lesion reaches without a breach point on it.
    """
    si_axis = axis_index(volume, frame.si)
    elsewhere: list[Sequence[float]] = list(cortical_breach_lps)
    lesion = roi.crop(lesion_mask)
    defects: list[Defect] = []
    contacts: list[str] = []
    # a breach point is the centre of the hole, on the face of the cortex it crosses: within one voxel
    # diagonal of the endplate, plus half a voxel for the endplate and lesion masks' own edges (mm)
    near_mm = float(np.sqrt(np.sum(roi.spacing**2))) + 0.5 * float(max(roi.spacing))
    for label, mask, sign in (("superior", endplates[0], 1.0), ("inferior", endplates[1], -1.0)):
        if mask is not None and mask.any():
            endplate = roi.crop(mask)
            how = "endplate mask"
        else:
            endplate = body_face(body, si_axis, sign, volume, frame)
            how = "body surface facing the disc"
        on_plate = [p for p in elsewhere if (endplate & roi.ball(p, near_mm)).any()]
        elsewhere = [p for p in elsewhere if not any(p is q for q in on_plate)]
        if on_plate:
            defects.append(
                Defect(
                    label,
                    body & _balls(roi, on_plate, band_mm),
                    f"the lesion breaks through the {label} endplate ({how}) at {len(on_plate)} place(s): "
                    f"disc-leak risk; vertebral body within {band_mm:g} mm of the break",
                )
            )
        elif lesion.any() and (lesion & ndimage.binary_dilation(endplate, iterations=1)).any():
            contacts.append(label)
    if elsewhere:
        defects.append(
            Defect(
                None,
                body & _balls(roi, elsewhere, band_mm),
                f"vertebral body within {band_mm:g} mm of {len(elsewhere)} point(s) where the lesion breaks "
                "the cortex",
            )
        )
    return defects, contacts


def _balls(roi: Roi, points: Sequence[Sequence[float]], radius_mm: float) -> BoolArray:
    box = np.zeros(roi.shape, dtype=bool)
    for p in points:
        box |= roi.ball(p, radius_mm)
    return box
