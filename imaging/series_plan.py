"""The planned volume grid of one DICOM series (:class:`SeriesPlan`) and what every planning step shares.

:mod:`imaging.dicom_series` groups frame headers into series and plans each one's grid; this module holds
the value it produces and the pieces its steps (and :mod:`imaging.series_damaged`) have in common: the
tolerances that decide what counts as one stack, one slice, a gap or a tilt; the slice axes read from
(0020,0037) Image Orientation; and the refused plan, which gives only the geometry its headers state and
leaves the rest NaN, never 0. Positions and directions are LPS mm; the direction columns are ITK's x, y, z
(row direction, column direction, slice normal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from imaging.dicom_frames import FrameHeader

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


def same_orientation(a: FrameHeader, b: FrameHeader) -> bool:
    if a.orientation is None or b.orientation is None:
        return a.orientation is None and b.orientation is None
    return bool(np.max(np.abs(np.subtract(a.orientation, b.orientation))) <= ORIENTATION_TOLERANCE)


def refused_plan(frames: list[FrameHeader], series_id: str, source: str, reason: str) -> SeriesPlan:
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
    axes = slice_axes(h)
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


def slice_axes(h: FrameHeader) -> tuple[FloatArray, FloatArray, FloatArray] | None:
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


def repeated_positions(
    frames: list[FrameHeader], normal: FloatArray
) -> tuple[FloatArray, list[int], list[tuple[int, int]]]:
    """Where ``frames`` lie along ``normal`` (mm), which of them to keep in slice order, each position
    once (of frames within ``DUPLICATE_TOLERANCE_MM``, the lowest instance number), and the
    ``(repeat, kept)`` index pairs of the others. Every frame must have a position."""
    proj = np.array([h.position_lps for h in frames], dtype=np.float64) @ normal
    inst = np.array([h.instance_number if h.instance_number is not None else 0 for h in frames])
    order = np.lexsort((inst, proj))
    kept: list[int] = [int(order[0])]
    repeats: list[tuple[int, int]] = []
    for i in order[1:]:
        if proj[i] - proj[kept[-1]] < DUPLICATE_TOLERANCE_MM:
            repeats.append((int(i), kept[-1]))
        else:
            kept.append(int(i))
    return proj, kept, repeats


def frame_name(h: FrameHeader) -> str:
    return Path(h.path).name


def direction_matrix(plan: SeriesPlan) -> FloatArray:
    """The plan's 3x3 direction (columns row dir, col dir, normal in LPS)."""
    return np.asarray(plan.direction, dtype=np.float64)
