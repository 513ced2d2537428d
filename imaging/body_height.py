"""How tall a vertebral body can be: beyond it, a body found takes in more than one vertebra.

The tallest adult vertebral bodies are the lower lumbar ones; L5's anterior height on CT is
30.3 +- 1.9 mm over all adults and 30.7 +- 1.9 mm in men (International Journal of Spine Surgery,
lumbar morphometry of Maori and European New Zealanders, Table 6; L5 is about as tall as L3-L4;
thoracic and cervical bodies are shorter, but no cited per-level figures are held here, so the bound is
one for every level and does not catch two short upper thoracic bodies run together). No body of any level is
taller than the men's L5 mean plus three standard deviations, ``MAX_ADULT_BODY_HEIGHT_MM`` (36.4 mm).
A body measured taller than that has run across a disc into the next vertebra (a thin or tilted disc
not seen): :func:`height_note` says so to the operator in plain words. Lengths mm.
"""

from __future__ import annotations

__all__ = ["MAX_ADULT_BODY_HEIGHT_MM", "TALLEST_BODY_MEAN_MM", "TALLEST_BODY_SD_MM", "height_note"]

#: L5 anterior body height in adult men, mean and standard deviation (mm): the tallest vertebral body
#: (International Journal of Spine Surgery, New Zealand lumbar CT morphometry, Table 6)
TALLEST_BODY_MEAN_MM = 30.7
TALLEST_BODY_SD_MM = 1.9
#: no adult vertebral body of any level is taller than this (mm): the tallest level's mean + 3 SD
MAX_ADULT_BODY_HEIGHT_MM = TALLEST_BODY_MEAN_MM + 3.0 * TALLEST_BODY_SD_MM


def height_note(height_mm: float) -> str | None:
    """A warning for the operator when a body is taller than any adult vertebral body, else None.

    Parameters
    ----------
    height_mm
        The body's height along its axis (mm).

    Returns
    -------
    str or None
        A plain sentence saying the outline probably takes in part of the next vertebra and what to do.
    """
    if not height_mm > MAX_ADULT_BODY_HEIGHT_MM:
        return None
    return (
        f"the body found is {height_mm:.0f} mm tall, taller than any adult vertebral body "
        f"(at most about {MAX_ADULT_BODY_HEIGHT_MM:.0f} mm, lumbar): it probably takes in part of the "
        "next vertebra across a thin disc. Check its outline on the sagittal view and correct it, or "
        "click again nearer the middle of the body"
    )
