"""Files of a DICOM series whose pixel data is incomplete (cut short): left out, named, and placed.

A damaged file never makes a series fail whole: :mod:`imaging.dicom_series` plans the series from its other
files, and this module records each damaged file in the import report by name, refuses a series that has no
usable file left, and adds to a planned series a warning saying where each left-out slice lay (before the
first slice used, beyond the last, or inside the stack, where its gap is interpolated or refused like any
other missing slice). Offsets are mm along the slice normal.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from imaging.dicom_frames import FrameHeader
from imaging.report import ImportReport
from imaging.series_plan import (
    DUPLICATE_TOLERANCE_MM,
    MAX_GAPS_LISTED,
    SeriesPlan,
    frame_name,
    refused_plan,
    same_orientation,
)


def leave_out_damaged(
    frames: list[FrameHeader], report: ImportReport
) -> tuple[list[FrameHeader], list[FrameHeader]]:
    """Split a series' frames into usable ones and those of files with incomplete pixel data; every
    damaged file is recorded in ``report`` by name (once, whatever its number of frames)."""
    usable: list[FrameHeader] = []
    damaged: list[FrameHeader] = []
    for h in frames:
        (damaged if h.pixel_damage is not None else usable).append(h)
    for path in dict.fromkeys(h.path for h in damaged):
        reason = next(h.pixel_damage for h in damaged if h.path == path)
        report.skip(path, f"{reason}; left out of its series")
    return usable, damaged


def _file_names(frames: list[FrameHeader]) -> str:
    names = list(dict.fromkeys(frame_name(h) for h in frames))
    more = f" and {len(names) - MAX_GAPS_LISTED} more" if len(names) > MAX_GAPS_LISTED else ""
    return ", ".join(names[:MAX_GAPS_LISTED]) + more


def all_damaged(damaged: list[FrameHeader], series_id: str, source: str) -> SeriesPlan:
    n_files = len({h.path for h in damaged})
    verb = "is" if n_files == 1 else "are all"
    return refused_plan(
        damaged,
        series_id,
        source,
        f"no usable slice: {_file_names(damaged)} {verb} {damaged[0].pixel_damage}",
    )


def note_left_out(plan: SeriesPlan, damaged: list[FrameHeader]) -> SeriesPlan:
    """Say in ``plan`` which damaged files of its stack were left out and where their slices lay."""
    h0 = plan.frames[0]
    mine = [h for h in damaged if (h.rows, h.cols) == (h0.rows, h0.cols) and same_orientation(h, h0)]
    if not mine:
        return plan
    n_files = len({h.path for h in mine})
    if plan.refusal is not None:
        return replace(
            plan,
            refusal=f"{plan.refusal}; {n_files} damaged file(s) were left out ({_file_names(mine)}: "
            f"{mine[0].pixel_damage})",
        )
    normal = np.asarray(plan.direction, dtype=np.float64)[:, 2]
    start = float(np.asarray(h0.position_lps, dtype=np.float64) @ normal)
    first_of_file: dict[str, FrameHeader] = {}
    for h in mine:
        first_of_file.setdefault(h.path, h)
    notes: list[str] = []
    for h in list(first_of_file.values())[:MAX_GAPS_LISTED]:
        where = "its position is unknown"
        if h.position_lps is not None:
            offset_mm = float(np.asarray(h.position_lps, dtype=np.float64) @ normal) - start
            where = _where_it_lay(offset_mm, plan)
        notes.append(f"{frame_name(h)} was left out ({h.pixel_damage}); {where}.")
    if n_files > MAX_GAPS_LISTED:
        notes.append(f"{n_files - MAX_GAPS_LISTED} more damaged file(s) were left out.")
    return replace(plan, warnings=(*notes, *plan.warnings))


def _where_it_lay(offset_mm: float, plan: SeriesPlan) -> str:
    """Where a left-out slice lay, ``offset_mm`` along the normal from the plan's first slice."""
    last = plan.positions_mm[-1]
    if offset_mm < -DUPLICATE_TOLERANCE_MM:
        return f"it lay {-offset_mm:.2f} mm before the first slice used, so the volume starts that much later"
    beyond_mm = offset_mm - last
    if beyond_mm > DUPLICATE_TOLERANCE_MM:
        return f"it lay {beyond_mm:.2f} mm beyond the last slice used, so the volume ends that much sooner"
    if min(abs(q - offset_mm) for q in plan.positions_mm) < DUPLICATE_TOLERANCE_MM:
        return "another slice at its position was used"
    if plan.resample_slices:
        return "it lay inside the stack: the gap it leaves is interpolated (see the missing slices)"
    return f"it lay inside the stack; the slices used are evenly {plan.spacing_mm[0]:.2f} mm apart"
