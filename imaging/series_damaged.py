"""Files of a DICOM series whose pixel data is incomplete (cut short): left out, named, and placed.

A damaged file never makes a series fail whole: :mod:`imaging.dicom_series` plans the series from its other
files, and this module records each damaged file in the import report by name, refuses a series that has no
usable file left, and adds to a planned series a warning saying where each left-out slice lay (before the
first slice used, beyond the last, or inside the stack, where its gap is interpolated or refused like any
other missing slice). Offsets are mm along the slice normal.

A file whose pixels are sound but whose slice cannot be placed (no (0020,0032) Image Position, or one that
is not a number: :func:`imaging.dicom_frames.is_unplaced`) is left out the same way only when the slices
used form a stack with no gap, so that it cannot have lain inside it; the warning names it and says how many
slices were used. When they leave a gap, the series is refused naming the file and the gap: its slice most
likely lay there, and interpolating over pixels that are at hand would put made-up values where measured
ones exist (QA s32 D; the base refused the whole series for one such slice, whatever the rest).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from imaging.dicom_frames import NO_POSITION, FrameHeader, is_unplaced
from imaging.report import ImportReport
from imaging.series_plan import (
    DUPLICATE_TOLERANCE_MM,
    GAP_FACTOR,
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
    mine = [
        h
        for h in damaged
        if (h.rows, h.cols) == (h0.rows, h0.cols)
        and (same_orientation(h, h0) or (h.orientation is None and is_unplaced(h)))
    ]
    if not mine:
        return plan
    unplaced = [h for h in mine if is_unplaced(h)]
    if unplaced and plan.refusal is None and _first_gap(plan) is not None:
        return _refused_for_gap(plan, unplaced)
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
        if is_unplaced(h):
            where = (
                f"the volume was built from the other {len(plan.frames)} slices, which leave no gap, so it "
                "did not lie inside the stack (had it lain beyond an end, the volume stops a slice short)"
            )
        elif h.position_lps is not None:
            offset_mm = float(np.asarray(h.position_lps, dtype=np.float64) @ normal) - start
            where = _where_it_lay(offset_mm, plan)
        notes.append(f"{frame_name(h)} was left out ({h.pixel_damage}); {where}.")
    if n_files > MAX_GAPS_LISTED:
        notes.append(f"{n_files - MAX_GAPS_LISTED} more damaged file(s) were left out.")
    return replace(plan, warnings=(*notes, *plan.warnings))


def _first_gap(plan: SeriesPlan) -> tuple[int, float, float] | None:
    """The first gap between the plan's slices (step index, its width and the median spacing, mm), if any."""
    steps = np.diff(np.asarray(plan.positions_mm, dtype=np.float64))
    if steps.size == 0:
        return None
    spacing = float(np.median(steps))
    gaps = np.nonzero(steps > GAP_FACTOR * spacing)[0]
    if gaps.size == 0:
        return None
    return int(gaps[0]), float(steps[gaps[0]]), spacing


def _refused_for_gap(plan: SeriesPlan, unplaced: list[FrameHeader]) -> SeriesPlan:
    """Refuse ``plan``: slices that could not be placed probably belong in the gap its other slices leave."""
    gap = _first_gap(plan)
    if gap is None:  # checked by the caller; narrows the type
        return plan
    g, width_mm, spacing_mm = gap
    n_files = len({h.path for h in unplaced})
    one = n_files == 1
    missing = sum(h.pixel_damage == NO_POSITION for h in unplaced)
    what = "no usable (0020,0032) Image Position (missing, or not a number)"
    if missing == len(unplaced):
        what = "no (0020,0032) Image Position"
    elif missing == 0:
        what = "an (0020,0032) Image Position that is not a number" if one else "Image Positions not numbers"
    before, after = plan.frames[g], plan.frames[g + 1]
    reason = (
        f"{_file_names(unplaced)} {'has' if one else 'have'} {what}, so where "
        f"{'its slice' if one else 'their slices'} lay is unknown, and the other {len(plan.frames)} slices "
        f"leave a {width_mm:.2f} mm gap between {frame_name(before)} and {frame_name(after)} (spacing "
        f"{spacing_mm:.2f} mm), where {'it' if one else 'they'} most likely lay; a gap is not interpolated "
        "while the measured pixels are at hand: export the series again from the scanner or PACS"
    )
    return refused_plan([*plan.frames, *unplaced], plan.series_id, plan.source, reason)


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
