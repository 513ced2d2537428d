"""Group frame headers into series and plan each series' volume geometry (no pixels).

A series is the frames sharing (0020,000E) Series Instance UID, then orientation, size and pixel
spacing. Localizers ((0008,0008) Image Type LOCALIZER, or a small group whose orientation differs
from the main stack of its series) are set aside and reported.

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
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from imaging.dicom_scan import CT_SOP_CLASSES, FrameHeader
from imaging.report import ImportReport
from imaging.resampled_slices import gap_slices, interpolated_slices
from imaging.slice_numbers import slice_numbering

FloatArray = npt.NDArray[np.float64]

#: positions closer than this along the normal are the same slice (mm)
DUPLICATE_TOLERANCE_MM = 0.01
#: relative and absolute tolerance on slice spacing before it counts as non-uniform
SPACING_RELATIVE_TOLERANCE = 0.01
SPACING_ABSOLUTE_TOLERANCE_MM = 0.005
#: a step larger than this times the median spacing is a gap (missing slices)
GAP_FACTOR = 1.5
#: largest difference of direction cosines within one stack
ORIENTATION_TOLERANCE = 1e-3
#: a gap wider than both of these is refused, never interpolated: values filled across more than about
#: a vertebral endplate's thickness of missing anatomy would be a wrong volume, however it is labelled
MAX_INTERPOLATED_GAP_MM = 10.0
MAX_INTERPOLATED_GAP_FACTOR = 2.5
#: gaps named one by one up to this many, then summarised
MAX_GAPS_LISTED = 3
#: in-plane drift of the stack, as a fraction of a pixel, below which there is no tilt
TILT_PIXEL_FRACTION = 0.05
#: slice positions further than this from a straight line (mm) cannot form a volume
LINE_TOLERANCE_MM = 0.5
#: HU written where a tilt correction shifts in voxels from outside the scanned field (air)
FILL_HU = -1024.0
#: a value the headers do not give (a refused series' slice spacing or origin): never a made-up 0
UNKNOWN = math.nan
_UNKNOWN3 = (UNKNOWN, UNKNOWN, UNKNOWN)


@dataclass(frozen=True)
class SeriesPlan:
    """A series and the regular grid its volume will have.

    ``frames`` are sorted along the slice normal; ``positions_mm`` are their positions along it
    (relative to the first). ``inplane_shift_index`` gives, per input frame, the ``(row, col)`` shift
    (in pixels) that puts it onto the orthogonal grid (all zero without tilt). ``resample_slices``
    says the output slices (``shape[0]`` of them, ``spacing_mm[0]`` apart) must be interpolated
    from the input ones; ``interpolated_slices`` names (0-based) those that count as made up rather
    than measured (:mod:`imaging.resampled_slices`). A refused plan's unknown geometry values are NaN
    (see ``warnings``).
    """

    series_id: str
    series_uid: str
    description: str
    modality: str
    frames: tuple[FrameHeader, ...]
    n_files: int
    shape: tuple[int, int, int] = (0, 0, 0)
    spacing_mm: tuple[float, float, float] = _UNKNOWN3
    origin_lps: tuple[float, float, float] = _UNKNOWN3
    direction: tuple[tuple[float, float, float], ...] = ()
    positions_mm: tuple[float, ...] = ()
    inplane_shift_index: tuple[tuple[float, float], ...] = ()
    tilt_deg: float = 0.0
    resample_slices: bool = False
    interpolated_slices: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    refusal: str | None = None
    source: str = ""
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def loadable(self) -> bool:
        """No refusal."""
        return self.refusal is None


def group_series(headers: list[FrameHeader], report: ImportReport, source: str = "") -> list[SeriesPlan]:
    """Group frames into series, set localizers aside, and plan every series' grid."""
    by_uid: dict[str, list[FrameHeader]] = defaultdict(list)
    for h in headers:
        if h.is_localizer:
            report.skip(h.path, "localizer (scout) image, not part of a volume")
            continue
        by_uid[h.series_uid].append(h)
    plans: list[SeriesPlan] = []
    for uid, all_frames in by_uid.items():
        frames, damaged = _leave_out_damaged(all_frames, report)
        if not frames:
            plans.append(_all_damaged(damaged, uid, source))
            continue
        groups = _cluster(frames)
        ordered = sorted(groups, key=len, reverse=True)
        main = ordered[0]
        extra_index = 1
        for group in ordered[1:]:
            if len(group) <= 2 and len(main) > 2 and not _same_orientation(group[0], main[0]):
                for h in group:
                    report.skip(
                        h.path, "orientation differs from the rest of its series (a localizer), set aside"
                    )
                continue
            extra_index += 1
            plans.append(_note_left_out(plan_series(group, f"{uid}#{extra_index}", source), damaged))
        plans.append(_note_left_out(plan_series(main, uid, source), damaged))
    plans.sort(key=lambda p: (not p.loadable, -len(p.frames), p.series_id))
    return plans


def _same_orientation(a: FrameHeader, b: FrameHeader) -> bool:
    if a.orientation is None or b.orientation is None:
        return a.orientation is None and b.orientation is None
    return bool(np.max(np.abs(np.subtract(a.orientation, b.orientation))) <= ORIENTATION_TOLERANCE)


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
            if (g[0].rows, g[0].cols) == (h.rows, h.cols) and _same_orientation(g[0], h):
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


def _leave_out_damaged(
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
    names = list(dict.fromkeys(_name(h) for h in frames))
    more = f" and {len(names) - MAX_GAPS_LISTED} more" if len(names) > MAX_GAPS_LISTED else ""
    return ", ".join(names[:MAX_GAPS_LISTED]) + more


def _all_damaged(damaged: list[FrameHeader], series_id: str, source: str) -> SeriesPlan:
    n_files = len({h.path for h in damaged})
    verb = "is" if n_files == 1 else "are all"
    return _refused(
        damaged,
        series_id,
        source,
        f"no usable slice: {_file_names(damaged)} {verb} {damaged[0].pixel_damage}",
    )


def _note_left_out(plan: SeriesPlan, damaged: list[FrameHeader]) -> SeriesPlan:
    """Say in ``plan`` which damaged files of its stack were left out and where their slices lay."""
    h0 = plan.frames[0]
    mine = [h for h in damaged if (h.rows, h.cols) == (h0.rows, h0.cols) and _same_orientation(h, h0)]
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
        notes.append(f"{_name(h)} was left out ({h.pixel_damage}); {where}.")
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


def _refused(frames: list[FrameHeader], series_id: str, source: str, reason: str) -> SeriesPlan:
    """A plan that cannot be loaded, with only the geometry its headers state (the rest NaN)."""
    h = frames[0]
    unknown = ["slice spacing"]
    spacing = _UNKNOWN3
    if h.pixel_spacing_mm is not None and min(h.pixel_spacing_mm) > 0:
        spacing = (UNKNOWN, float(h.pixel_spacing_mm[0]), float(h.pixel_spacing_mm[1]))
    else:
        unknown.append("pixel spacing")
    origin = _UNKNOWN3
    if len(frames) == 1 and h.position_lps is not None:  # one slice: its position is the first voxel's
        origin = (float(h.position_lps[0]), float(h.position_lps[1]), float(h.position_lps[2]))
    else:
        unknown.append("origin")
    axes = _slice_axes(h)
    direction: tuple[tuple[float, float, float], ...] = ()
    if axes is not None:
        matrix = np.stack(axes, axis=1)
        direction = tuple(tuple(float(v) + 0.0 for v in row) for row in matrix)  # type: ignore[misc]
    else:
        unknown.append("orientation")
    listed = unknown[0] if len(unknown) == 1 else ", ".join(unknown[:-1]) + " and " + unknown[-1]
    verb = "is" if len(unknown) == 1 else "are"
    note = f"Not loadable, so its {listed} {verb} unknown (given as null, not 0)."
    return SeriesPlan(
        series_id=series_id,
        series_uid=h.series_uid,
        description=h.description,
        modality=h.modality,
        frames=tuple(frames),
        n_files=len({f.path for f in frames}),
        shape=(len(frames), h.rows, h.cols),
        spacing_mm=spacing,
        origin_lps=origin,
        direction=direction,
        warnings=(note,),
        refusal=reason,
        source=source,
    )


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


def _slice_axes(h: FrameHeader) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """Row direction, column direction and slice normal (LPS) from (0020,0037), None if not usable."""
    if h.orientation is None:
        return None
    iop = np.asarray(h.orientation, dtype=np.float64)
    row_dir, col_dir = iop[:3], iop[3:]
    if (
        abs(np.linalg.norm(row_dir) - 1) > 0.01
        or abs(np.linalg.norm(col_dir) - 1) > 0.01
        or abs(row_dir @ col_dir) > 0.01
    ):
        return None
    row_dir = row_dir / np.linalg.norm(row_dir)
    col_dir = col_dir - (col_dir @ row_dir) * row_dir
    col_dir /= np.linalg.norm(col_dir)
    return row_dir, col_dir, np.cross(row_dir, col_dir)


def _name(h: FrameHeader) -> str:
    return Path(h.path).name


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
        return _refused(
            frames, series_id, source, f"modality {h0.modality or 'unknown'} is not CT; only CT is loaded"
        )
    if h0.samples_per_pixel != 1 or h0.photometric not in ("MONOCHROME1", "MONOCHROME2"):
        return _refused(
            frames, series_id, source, f"{_name(h0)} is a colour image ({h0.photometric}), not CT"
        )
    if h0.bits_allocated not in (8, 16, 32):
        return _refused(
            frames,
            series_id,
            source,
            f"{_name(h0)} has unsupported (0028,0100) Bits Allocated {h0.bits_allocated}",
        )
    for h in frames:
        if (h.bits_allocated, h.samples_per_pixel, h.photometric) != (
            h0.bits_allocated,
            h0.samples_per_pixel,
            h0.photometric,
        ):
            return _refused(
                frames,
                series_id,
                source,
                f"{_name(h)}: pixel storage differs from {_name(h0)} in the same series",
            )
        if h.pixel_spacing_mm is None or min(h.pixel_spacing_mm) <= 0:
            return _refused(
                frames,
                series_id,
                source,
                f"{_name(h)} has no (0028,0030) Pixel Spacing; its geometry is unknown",
            )
        if h.position_lps is None or h.orientation is None:
            return _refused(
                frames,
                series_id,
                source,
                f"{_name(h)} has no (0020,0032) Image Position / (0020,0037) Image Orientation; "
                "its geometry is unknown",
            )
        if h0.pixel_spacing_mm is not None and not np.allclose(
            h.pixel_spacing_mm, h0.pixel_spacing_mm, atol=1e-4
        ):
            return _refused(
                frames, series_id, source, f"{_name(h)}: (0028,0030) Pixel Spacing differs between slices"
            )
        if h.rows < 1 or h.cols < 1:
            return _refused(frames, series_id, source, f"{_name(h)} has no image size (Rows / Columns)")
        if h.pixel_damage is not None:
            return _refused(frames, series_id, source, f"{_name(h)} is {h.pixel_damage}")
    if len(frames) < 2:
        return _refused(
            frames,
            series_id,
            source,
            f"only one slice ({_name(h0)}): a volume needs at least 2 slices to know the slice spacing",
        )
    if h0.orientation is None or h0.pixel_spacing_mm is None:  # checked above; narrows the types
        return _refused(frames, series_id, source, f"{_name(h0)} has no geometry")
    axes = _slice_axes(h0)
    if axes is None:
        return _refused(
            frames,
            series_id,
            source,
            f"{_name(h0)}: (0020,0037) Image Orientation is not two orthogonal unit vectors",
        )
    row_dir, col_dir, normal = axes

    warnings: list[str] = []
    ipp = np.array([h.position_lps for h in frames], dtype=np.float64)
    proj = ipp @ normal
    inst = np.array([h.instance_number if h.instance_number is not None else 0 for h in frames])
    order = np.lexsort((inst, proj))
    kept: list[int] = [int(order[0])]
    duplicates: list[int] = []
    for i in order[1:]:
        if proj[i] - proj[kept[-1]] < DUPLICATE_TOLERANCE_MM:
            duplicates.append(int(i))
        else:
            kept.append(int(i))
    if duplicates:
        names = ", ".join(_name(frames[i]) for i in duplicates[:3])
        more = f" and {len(duplicates) - 3} more" if len(duplicates) > 3 else ""
        warnings.append(
            f"{len(duplicates)} slice(s) repeat the position of another slice ({names}{more}); "
            "the first of each (lowest instance number) was kept."
        )
    if len(kept) < 2:
        return _refused(frames, series_id, source, "all slices share one position: not a volume")
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
        return _refused(
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
            return _refused(
                frames,
                series_id,
                source,
                f"a {steps[widest]:.1f} mm gap between {_name(sorted_frames[widest])} and "
                f"{_name(sorted_frames[widest + 1])} (slice spacing {spacing:.2f} mm) is too wide to "
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
                    f"Missing slice(s): a {steps[g]:.2f} mm gap between {_name(before)} and "
                    f"{_name(after)}{_instances(before, after)} where the spacing is {spacing:.2f} mm "
                    f"(about {missing} slice(s) missing): {made} interpolated."
                )
        elif len(gaps) > MAX_GAPS_LISTED:
            warnings.append(
                f"Missing slices or uneven gaps: {len(gaps)} steps of {steps[gaps].min():.2f} to "
                f"{steps[gaps].max():.2f} mm, more than {GAP_FACTOR:g} times the median spacing "
                f"{spacing:.2f} mm, between {_name(sorted_frames[gaps[0]])} and "
                f"{_name(sorted_frames[gaps[-1] + 1])}."
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


def direction_matrix(plan: SeriesPlan) -> FloatArray:
    """The plan's 3x3 direction (columns row dir, col dir, normal in LPS)."""
    return np.asarray(plan.direction, dtype=np.float64)
