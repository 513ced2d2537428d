"""A vertebra search's refusal said in the operator's terms, and a body found that must be refused.

:func:`better_refusal` replaces what the search ran into with what the operator can act on: the sacrum
(with the S1 suggestion, :func:`imaging.level_anatomy.refusal_hint`), a click on a disc
(:func:`imaging.disc_click.disc_at_point`), or, added to the search's own reason, metal in the search
region (:func:`imaging.vertebra_metal.find_metal`; QA session 17: a rod through a pedicle, and the
refusal named a rib head). :func:`body_across_disc` refuses a body that reaches the scan's edge when the
click lies on a disc: the edge leaves no end plate to stop at there, and the body runs across the disc
into the next one (chest CT, (-8, 112, -159): 18 mL across the T12/L1 disc). Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.disc_click import disc_at_point
from imaging.level_anatomy import refusal_hint
from imaging.mask import touches_grid_edge
from imaging.vertebra_errors import VertebraNotFoundError
from imaging.vertebra_metal import MetalFinding, find_metal
from imaging.vertebra_model import VertebraAnatomy
from imaging.vertebra_roi import resample_roi
from imaging.volume import Volume

__all__ = ["better_refusal", "body_across_disc", "region_metal"]

FloatArray = npt.NDArray[np.float64]


def region_metal(
    volume: Volume, click: FloatArray, *, roi_half_mm: FloatArray, roi_spacing_mm: float
) -> MetalFinding | None:
    """Metal in the search region around the click, or None.

    ``roi_half_mm`` is the search region's ``(low, high)`` offsets from the click (mm, L P S), and
    ``roi_spacing_mm`` its grid: metal is looked for where the search looked.
    """
    roi = resample_roi(volume, click, roi_half_mm, roi_spacing_mm)
    return find_metal(volume, roi, {}, centroid_lps=click, left_lps=(1.0, 0.0, 0.0))


def better_refusal(
    volume: Volume,
    click: FloatArray,
    refused: VertebraNotFoundError,
    *,
    metal: MetalFinding | None,
) -> VertebraNotFoundError | None:
    """The refusal to raise instead of ``refused``, or None to raise it as it is.

    ``metal`` is the metal in the search region (:func:`region_metal`), which may be why.
    """
    hint = refusal_hint(volume, click)
    if hint is not None:
        return VertebraNotFoundError(f"{refused.reason}; {hint}", click)
    # a click on a disc finds no body of its own: say so rather than what the search ran into
    disc = disc_at_point(volume, click)
    # metal in the search region may be why (its streaks can read as a disc too)
    if disc is not None:
        said = disc.reason() if metal is None else f"{disc.reason()}; {metal.refusal_note()}"
        return VertebraNotFoundError(said, click)
    if metal is not None:
        return VertebraNotFoundError(f"{refused.reason}; {metal.refusal_note()}", click)
    return None


def body_across_disc(
    volume: Volume, click: FloatArray, anatomy: VertebraAnatomy
) -> VertebraNotFoundError | None:
    """The refusal of a body that reaches the scan's edge found from a click on a disc, else None.

    The disc is looked for only for such bodies (it costs 0.1-0.25 s): elsewhere both discs bound the body.
    """
    if not (anatomy.body_cut_by_view or touches_grid_edge(anatomy.body)):
        return None
    disc = disc_at_point(volume, np.asarray(click, dtype=np.float64))
    return None if disc is None else VertebraNotFoundError(disc.reason(), click)
