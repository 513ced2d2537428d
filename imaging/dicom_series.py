"""Group frame headers into series and plan each series' volume geometry (no pixels).

A series is the frames sharing (0020,000E) Series Instance UID (for files without one, their folder and
the other tags of :mod:`imaging.series_without_uid`), then orientation, size and pixel spacing.
Localizers ((0008,0008) Image Type LOCALIZER, or a small group whose orientation differs from the main
stack of its series) are set aside and reported.

Slices are ordered by their position along the slice normal ``n = row_dir x col_dir`` (never by
file name or instance number). The planned grid has directions ``(row_dir, col_dir, n)`` (ITK x, y,
z order, LPS), its origin at the first slice's (0020,0032) Image Position, the slice spacing from the
positions, and the row / column spacing from (0028,0030) Pixel Spacing. Two departures from a
regular stack are corrected by resampling, always with a warning:

* gantry tilt (slices stacked along a direction not parallel to ``n``): each slice is shifted in its
  own plane onto the orthogonal grid (:mod:`imaging.tilt`);
* non-uniform spacing or missing slices (a gap): the stack is resampled along ``n`` onto a uniform
  grid at the median spacing by linear interpolation between neighbouring slices; the warning names
  each gap, so no interpolated value passes as measured.

Duplicate positions keep the first frame (lowest instance number) and report the rest. A file whose
pixel data is incomplete (cut short) is left out of its series and reported by name, with where its
slice lay; the series is planned from the other files, so a missing slice inside the stack becomes a
gap (interpolated or refused as above) and a missing end slice a shorter volume. A series with fewer
than 2 usable slices is refused (its slice spacing would be a guess). A refused series' geometry
gives only what its headers state: unknown values are NaN (never 0) and a warning says which.

The plan value, the tolerances and the refused plan live in :mod:`imaging.series_plan`; the damaged
files' handling in :mod:`imaging.series_damaged`. This module groups the frames and plans each stack.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from imaging.dicom_frames import NO_POSITION, FrameHeader, is_unplaced
from imaging.dicom_scan import CT_SOP_CLASSES
from imaging.report import ImportReport
from imaging.resampled_slices import gap_slices, interpolated_slices
from imaging.series_damaged import all_damaged, leave_out_damaged, note_left_out
from imaging.series_plan import (
    FILL_HU,
    GAP_FACTOR,
    LINE_TOLERANCE_MM,
    MAX_GAPS_LISTED,
    MAX_INTERPOLATED_GAP_FACTOR,
    MAX_INTERPOLATED_GAP_MM,
    SPACING_ABSOLUTE_TOLERANCE_MM,
    SPACING_RELATIVE_TOLERANCE,
    TILT_PIXEL_FRACTION,
    FloatArray,
    SeriesPlan,
    direction_matrix,
    frame_name,
    refused_plan,
    repeated_positions,
    same_orientation,
    slice_axes,
)
from imaging.series_without_uid import series_key, split_stacks
from imaging.slice_numbers import slice_numbering

__all__ = ["FILL_HU", "SeriesPlan", "direction_matrix", "group_series", "plan_series"]


def group_series(headers: list[FrameHeader], report: ImportReport, source: str = "") -> list[SeriesPlan]:
    """Group frames into series, set localizers aside, and plan every series' grid.

    Frames without a Series Instance UID are grouped by folder and what else their headers say
    (:mod:`imaging.series_without_uid`); their stacks are named "", "#2", "#3" ... (largest first), a
    series id that :func:`imaging.series_choice.series_label` says how to choose."""
    by_key: dict[tuple[str, ...], list[FrameHeader]] = defaultdict(list)
    for h in headers:
        if h.is_localizer:
            report.skip(h.path, "localizer (scout) image, not part of a volume")
            continue
        by_key[series_key(h)].append(h)
    plans: list[SeriesPlan] = []
    without_uid: list[tuple[list[FrameHeader], list[FrameHeader], str | None]] = []
    for key, all_frames in by_key.items():
        uid = key[0]
        frames, damaged = leave_out_damaged(all_frames, report)
        if not frames:
            if uid:
                plans.append(_none_usable(damaged, uid, source))
            else:
                without_uid.append((damaged, [], None))
            continue
        stacks = _stacks(frames, report)
        if uid:
            for index, group in enumerate(stacks[1:], start=2):
                plans.append(note_left_out(plan_series(group, f"{uid}#{index}", source), damaged))
            plans.append(note_left_out(plan_series(stacks[0], uid, source), damaged))
            continue
        for group in stacks:
            parts, refusal = split_stacks(group)
            without_uid.extend((part, damaged, refusal) for part in parts)
    # largest first, then by folder and tags, so the ids do not depend on the order files were read
    without_uid.sort(key=lambda s: (-len(s[0]), series_key(s[0][0]), _acquisition(s[0][0])))
    for index, (group, damaged, refusal) in enumerate(without_uid, start=1):
        series_id = "" if index == 1 else f"#{index}"
        if group[0].pixel_damage is not None:  # only damaged files (a usable group holds none)
            plans.append(_none_usable(group, series_id, source))
        elif refusal is not None:
            plans.append(note_left_out(refused_plan(group, series_id, source, refusal), damaged))
        else:
            plans.append(note_left_out(plan_series(group, series_id, source), damaged))
    plans.sort(key=lambda p: (not p.loadable, -len(p.frames), p.series_id))
    return plans


def _none_usable(damaged: list[FrameHeader], series_id: str, source: str) -> SeriesPlan:
    """The refused plan of a series none of whose frames is usable. Frames that only lack a position are
    checked as a series first, so that what is wrong with the whole series (not CT, colour) is said
    rather than each file's position."""
    if all(is_unplaced(h) for h in damaged):
        return plan_series(damaged, series_id, source)
    return all_damaged(damaged, series_id, source)


def _acquisition(h: FrameHeader) -> str:
    return str(h.meta.get("acquisition_number", ""))


def _stacks(frames: list[FrameHeader], report: ImportReport) -> list[list[FrameHeader]]:
    """One series' stacks of one size and orientation, largest first; a small stack oriented unlike
    the largest is a localizer, set aside and reported."""
    ordered = sorted(_cluster(frames), key=len, reverse=True)
    main = ordered[0]
    stacks = [main]
    for group in ordered[1:]:
        if len(group) <= 2 and len(main) > 2 and not same_orientation(group[0], main[0]):
            for h in group:
                report.skip(
                    h.path, "orientation differs from the rest of its series (a localizer), set aside"
                )
            continue
        stacks.append(group)
    return stacks


def _cluster(frames: list[FrameHeader]) -> list[list[FrameHeader]]:
    """Stacks of one series: same image size and orientation (within a tolerance, not by rounding,
    so jitter in the last digits never splits a stack). Frames lacking orientation join the largest
    stack, which is then refused by name."""
    groups: list[list[FrameHeader]] = []
    missing: list[FrameHeader] = []
    for h in frames:
        if h.orientation is None:
            missing.append(h)
            continue
        for g in groups:
            if (g[0].rows, g[0].cols) == (h.rows, h.cols) and same_orientation(g[0], h):
                g.append(h)
                break
        else:
            groups.append([h])
    if missing:
        if groups:
            max(groups, key=len).extend(missing)
        else:
            groups.append(missing)
    return groups


def _interpolated_slices(
    first: int, last: int, n_out: int, origin: FloatArray, step: FloatArray, *, direction: FloatArray
) -> str:
    """Which of the volume's slices a gap's interpolation made (0-based ``first``..``last`` of ``n_out``),
    in words a reader can find them by: their position (z for an axial stack) and the numbers the views
    show for them (:mod:`imaging.slice_numbers`; none for a stack oblique to the views)."""
    at = [origin + k * step for k in (first, last)]
    axial = abs(float(step[2])) > 0.9 * float(np.linalg.norm(step))
    if axial:
        where = f"z {at[0][2]:.1f} mm" if first == last else f"z {at[0][2]:.1f} to {at[1][2]:.1f} mm"
    else:
        pts = [f"({q[0]:.1f}, {q[1]:.1f}, {q[2]:.1f})" for q in at]
        where = f"LPS {pts[0]}" if first == last else f"LPS {pts[0]} to {pts[1]}"
    numbering = slice_numbering(direction, (n_out, 1, 1))
    shown = (
        f"{numbering.text(range(first, last + 1))} in the views"
        if numbering is not None
        else "oblique to the views, which mark it with amber ticks"
    )
    if first == last:
        return f"the slice at {where} ({shown}) is"
    return f"the slices at {where} ({shown}) are"


def _instances(before: FrameHeader, after: FrameHeader) -> str:
    """`` (instances 14 and 15)``: the (0020,0013) Instance Numbers of the images beside a gap, which
    PACS viewers show (empty when the files do not give them)."""
    if before.instance_number is None or after.instance_number is None:
        return ""
    return f" (instances {before.instance_number} and {after.instance_number})"


def plan_series(frames: list[FrameHeader], series_id: str, source: str = "") -> SeriesPlan:
    """Check one group of frames and plan its volume grid (or say why it cannot be a volume)."""
    h0 = frames[0]
    is_ct = h0.modality == "CT" or (not h0.modality and h0.sop_class_uid in CT_SOP_CLASSES)
    if not is_ct:
        return refused_plan(
            frames, series_id, source, f"modality {h0.modality or 'unknown'} is not CT; only CT is loaded"
        )
    if h0.samples_per_pixel != 1 or h0.photometric not in ("MONOCHROME1", "MONOCHROME2"):
        return refused_plan(
            frames, series_id, source, f"{frame_name(h0)} is a colour image ({h0.photometric}), not CT"
        )
    if h0.bits_allocated not in (8, 16, 32):
        return refused_plan(
            frames,
            series_id,
            source,
            f"{frame_name(h0)} has unsupported (0028,0100) Bits Allocated {h0.bits_allocated}",
        )
    for h in frames:
        if (h.bits_allocated, h.samples_per_pixel, h.photometric) != (
            h0.bits_allocated,
            h0.samples_per_pixel,
            h0.photometric,
        ):
            return refused_plan(
                frames,
                series_id,
                source,
                f"{frame_name(h)}: pixel storage differs from {frame_name(h0)} in the same series",
            )
        if h.pixel_spacing_mm is None or min(h.pixel_spacing_mm) <= 0:
            # a spacing of 0 was said to be missing (QA s31 D)
            stated = (
                "has no (0028,0030) Pixel Spacing"
                if h.pixel_spacing_mm is None
                else "has a (0028,0030) Pixel Spacing of {:g} \\ {:g} mm, not a size".format(
                    *h.pixel_spacing_mm
                )
            )
            return refused_plan(
                frames, series_id, source, f"{frame_name(h)} {stated}; its geometry is unknown"
            )
        if h.position_lps is None or h.orientation is None:
            stated = "has no (0020,0032) Image Position / (0020,0037) Image Orientation"
            if is_unplaced(h) and h.orientation is not None:
                stated = (
                    "has no (0020,0032) Image Position"
                    if h.pixel_damage == NO_POSITION
                    else "has an (0020,0032) Image Position that is not a number"
                )
            return refused_plan(
                frames, series_id, source, f"{frame_name(h)} {stated}; its geometry is unknown"
            )
        if h0.pixel_spacing_mm is not None and not np.allclose(
            h.pixel_spacing_mm, h0.pixel_spacing_mm, atol=1e-4
        ):
            return refused_plan(
                frames,
                series_id,
                source,
                f"{frame_name(h)}: (0028,0030) Pixel Spacing differs between slices",
            )
        if h.rows < 1 or h.cols < 1:
            return refused_plan(
                frames, series_id, source, f"{frame_name(h)} has no image size (Rows / Columns)"
            )
        if h.pixel_damage is not None:
            return refused_plan(frames, series_id, source, f"{frame_name(h)} is {h.pixel_damage}")
    if len(frames) < 2:
        return refused_plan(
            frames,
            series_id,
            source,
            f"only one slice ({frame_name(h0)}): a volume needs at least 2 slices to know the slice spacing",
        )
    if h0.orientation is None or h0.pixel_spacing_mm is None:  # checked above; narrows the types
        return refused_plan(frames, series_id, source, f"{frame_name(h0)} has no geometry")
    axes = slice_axes(h0)
    if axes is None:
        return refused_plan(
            frames,
            series_id,
            source,
            f"{frame_name(h0)}: (0020,0037) Image Orientation is not two orthogonal unit vectors",
        )
    row_dir, col_dir, normal = axes

    warnings: list[str] = []
    ipp = np.array([h.position_lps for h in frames], dtype=np.float64)
    proj, kept, repeats = repeated_positions(frames, normal)
    duplicates = [i for i, _ in repeats]
    if duplicates:
        names = ", ".join(frame_name(frames[i]) for i in duplicates[:3])
        more = f" and {len(duplicates) - 3} more" if len(duplicates) > 3 else ""
        warnings.append(
            f"{len(duplicates)} slice(s) repeat the position of another slice ({names}{more}); "
            "the first of each (lowest instance number) was kept."
        )
    if len(kept) < 2:
        return refused_plan(frames, series_id, source, "all slices share one position: not a volume")
    sorted_frames = [frames[i] for i in kept]
    ipp = ipp[kept]
    p = proj[kept] - proj[kept[0]]
    steps = np.diff(p)
    spacing = float(np.median(steps))

    # gantry tilt: the stack's line of positions is not parallel to the normal
    stack_dir = (ipp[-1] - ipp[0]) / p[-1]
    line = ipp[0] + np.outer(p, stack_dir)
    off_line = float(np.max(np.linalg.norm(ipp - line, axis=1)))
    if off_line > LINE_TOLERANCE_MM:
        return refused_plan(
            frames,
            series_id,
            source,
            f"slice positions do not lie on one line (up to {off_line:.2f} mm off); cannot build a volume",
        )
    drift = ipp - ipp[0] - np.outer(p, normal)
    row_spacing, col_spacing = float(h0.pixel_spacing_mm[0]), float(h0.pixel_spacing_mm[1])
    shift_rows = drift @ col_dir / row_spacing
    shift_cols = drift @ row_dir / col_spacing
    tilt_deg = float(np.degrees(np.arccos(min(1.0, 1.0 / float(np.linalg.norm(stack_dir))))))
    tilted = float(np.max(np.hypot(shift_rows, shift_cols))) > TILT_PIXEL_FRACTION
    if tilted:
        warnings.append(
            f"Gantry tilt of {tilt_deg:.1f}° detected; every slice was shifted in its plane onto an "
            "orthogonal grid (linear interpolation); voxels shifted in from outside the scanned field "
            f"are {FILL_HU:.0f} HU."
        )
    else:
        shift_rows = np.zeros_like(shift_rows)
        shift_cols = np.zeros_like(shift_cols)
        tilt_deg = 0.0

    tol = max(SPACING_RELATIVE_TOLERANCE * spacing, SPACING_ABSOLUTE_TOLERANCE_MM)
    uniform = bool(np.all(np.abs(steps - spacing) <= tol))
    made_up: tuple[int, ...] = ()
    n_out = len(kept)
    out_spacing = float(p[-1] / (n_out - 1))
    if not uniform:
        widest = int(np.argmax(steps))
        gap_limit_mm = max(MAX_INTERPOLATED_GAP_MM, MAX_INTERPOLATED_GAP_FACTOR * spacing)
        if steps[widest] > gap_limit_mm:
            return refused_plan(
                frames,
                series_id,
                source,
                f"a {steps[widest]:.1f} mm gap between {frame_name(sorted_frames[widest])} and "
                f"{frame_name(sorted_frames[widest + 1])} (slice spacing {spacing:.2f} mm) is too wide to "
                f"interpolate (limit {gap_limit_mm:.1f} mm): "
                "slices are missing; load the complete series",
            )
        gaps = np.nonzero(steps > GAP_FACTOR * spacing)[0]
        n_out = round(float(p[-1]) / spacing) + 1
        out_spacing = float(p[-1] / (n_out - 1))
        if 0 < len(gaps) <= MAX_GAPS_LISTED:
            for g in gaps:
                missing = max(round(float(steps[g]) / spacing) - 1, 1)
                # the volume's slices inside the gap (0-based from its first slice): interpolated
                inside = gap_slices(float(p[g]), float(p[g + 1]), out_spacing)
                made = "the values in it are"  # a gap wider than 1.5 spacings always holds a slice
                if inside is not None:
                    made = _interpolated_slices(
                        *inside,
                        n_out,
                        ipp[0],
                        out_spacing * normal,
                        direction=np.stack([row_dir, col_dir, normal], axis=1),
                    )
                before, after = sorted_frames[g], sorted_frames[g + 1]
                warnings.append(
                    f"Missing slice(s): a {steps[g]:.2f} mm gap between {frame_name(before)} and "
                    f"{frame_name(after)}{_instances(before, after)} where the spacing is {spacing:.2f} mm "
                    f"(about {missing} slice(s) missing): {made} interpolated."
                )
        elif len(gaps) > MAX_GAPS_LISTED:
            warnings.append(
                f"Missing slices or uneven gaps: {len(gaps)} steps of {steps[gaps].min():.2f} to "
                f"{steps[gaps].max():.2f} mm, more than {GAP_FACTOR:g} times the median spacing "
                f"{spacing:.2f} mm, between {frame_name(sorted_frames[gaps[0]])} and "
                f"{frame_name(sorted_frames[gaps[-1] + 1])}."
            )
        others = np.delete(steps, gaps)
        if others.size and float(np.ptp(others)) > tol:
            warnings.append(
                f"Non-uniform slice spacing: steps from {others.min():.2f} to {others.max():.2f} mm "
                f"(median {spacing:.2f} mm)."
            )
        warnings.append(
            f"The stack was resampled onto a uniform {out_spacing:.3f} mm slice grid by linear interpolation "
            "between neighbouring slices; values inside gaps are interpolated, not measured."
        )
        made_up = interpolated_slices(p, n_out, out_spacing, (int(g) for g in gaps))
    thickness = sorted_frames[0].slice_thickness_mm
    if thickness is not None and thickness > out_spacing * (1 + SPACING_RELATIVE_TOLERANCE):
        warnings.append(
            f"Overlapping slices: spacing {out_spacing:.2f} mm is less than the slice thickness "
            f"{thickness:.2f} mm."
        )
    direction = np.stack([row_dir, col_dir, normal], axis=1)
    return SeriesPlan(
        series_id=series_id,
        series_uid=h0.series_uid,
        description=h0.description,
        modality=h0.modality,
        frames=tuple(sorted_frames),
        n_files=len({f.path for f in frames}),
        shape=(n_out, h0.rows, h0.cols),
        spacing_mm=(out_spacing, row_spacing, col_spacing),
        origin_lps=(float(ipp[0][0]), float(ipp[0][1]), float(ipp[0][2])),
        direction=tuple(tuple(float(v) + 0.0 for v in row) for row in direction),  # type: ignore[misc]
        positions_mm=tuple(float(v) for v in p),
        inplane_shift_index=tuple((float(a), float(b)) for a, b in zip(shift_rows, shift_cols, strict=True)),
        tilt_deg=tilt_deg,
        resample_slices=not uniform,
        interpolated_slices=made_up,
        warnings=tuple(warnings),
        refusal=None,
        source=source,
    )
