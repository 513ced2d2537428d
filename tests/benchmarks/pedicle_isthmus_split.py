"""The walls' midline in front of and behind the pedicle's isthmus (a study, not a test).

imaging.pedicle_midline fits the midline between a pedicle's walls over its proper stretch (widths at
most PROPER_WIDTH_FACTOR times the narrowest). On lumbar-ct-labels L3 left that stretch runs forwards
into the body's back corner, where the medial wall steps medially, and the line fitted across the step
converges 7-12 degrees more than label 41 (tests/benchmarks/pedicle_axis_truth.py). This script splits
each height's proper stretch at its narrowest row (the isthmus) and prints, per pedicle and height, the
convergence (degrees, + converging: the needle turning towards the midline as it advances) of the
Theil-Sen line over the whole stretch, over the rows in front of the isthmus and over the rows from the
isthmus backwards, with their spans (mm); then the heights pooled (slopes weighed by span cubed) in front
and behind, each with its error by the midline's error model, and ``z``: their difference over its error.

The error model (imaging.pedicle_midline.MAX_SLOPE_ERROR): half-maximum edges placed to
EDGE_ERROR_VOXELS of the largest voxel size ``v``, a midpoint the mean of two walls placed each on its
own (error ``EDGE_ERROR_VOXELS v / sqrt(2)``), one independent row per voxel along the span, the heights
independent: the pooled slope's error is ``sigma sqrt(12) / sqrt(sum L^3 / v)``. "trusted" marks a back
fit whose pooled error is within MAX_SLOPE_ERROR (tan 5 degrees).

The rows are those the program follows (imaging.pedicle_midline.track_walls_together, recorded while
``find_vertebra`` runs); the program itself is not changed.

Run (about 2 s a click)::

    PYTHONPATH=. /work/main/.venv/bin/python tests/benchmarks/pedicle_isthmus_split.py [dataset]

``dataset``: a prefix of tests/benchmarks/pedicle_figures.py's click names (abdomen, lumbar, chest, case1,
case7, "lumbar L3", ...); lumbar L3 is clicked at the ten QA clicks of
tests/imaging/test_vertebra_pedicle_click_lumbar_labels.py.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

import imaging.pedicle_midline as pm
import imaging.vertebra_pedicles as vp
from imaging.vertebra import find_vertebra
from tests.benchmarks.pedicle_figures import cases
from tests.imaging.test_vertebra_pedicle_click_lumbar_labels import CLICK_OFFSETS_MM

FloatArray = npt.NDArray[np.float64]

#: least rows either side of the isthmus for a line there
MIN_ROWS = 3


def proper_stretch(
    t: FloatArray, lo: FloatArray, hi: FloatArray
) -> tuple[FloatArray, FloatArray, int, int, int]:
    """The rows ``fit_midline`` keeps (depths and midpoints) and the proper stretch's first row, its
    narrowest and its last (indices), as imaging.pedicle_midline.fit_midline takes them."""
    keep = (hi - lo) >= pm.MIN_ROW_FRACTION * float(np.median(hi - lo))
    t, lo, hi = t[keep], lo[keep], hi[keep]
    width = hi - lo
    proper = width <= pm.PROPER_WIDTH_FACTOR * float(width.min())
    k = int(np.argmin(width))
    a, b = k, k
    while a - 1 >= 0 and proper[a - 1]:
        a -= 1
    while b + 1 < len(t) and proper[b + 1]:
        b += 1
    return t, 0.5 * (lo + hi), a, k, b


def pooled_error(spans: list[float], voxel_mm: float) -> float:
    """The pooled slope's error (mm per mm) over heights of these spans (module docstring)."""
    cubes = sum(s**3 for s in spans)
    if cubes <= 0.0:
        return math.inf
    sigma = pm.EDGE_ERROR_VOXELS * voxel_mm / math.sqrt(2.0)
    return sigma * math.sqrt(12.0) / math.sqrt(cubes / voxel_mm)


def _deg(slope: float, sgn: float) -> float:
    return sgn * math.degrees(math.atan(slope))


def _line(t: FloatArray, mid: FloatArray) -> float:
    return float(stats.theilslopes(mid, t)[0])


def report(
    name: str, side: str, voxel_mm: float, rows: list[tuple[FloatArray, FloatArray, FloatArray]]
) -> None:
    sgn = 1.0 if side == "left" else -1.0
    fronts: list[tuple[float, float]] = []
    backs: list[tuple[float, float]] = []
    for h, (depths, lo, hi) in zip(pm.HEIGHTS_MM, rows, strict=False):
        if len(depths) < pm.MIN_MIDPOINTS:
            print(f"  {name} {side} h {h:+.1f}: {len(depths)} rows")
            continue
        t, mid, a, k, b = proper_stretch(depths, lo, hi)
        parts = []
        for what, i, j, into in (("whole", a, b, None), ("front", a, k, fronts), ("back", k, b, backs)):
            if j - i + 1 < MIN_ROWS:
                parts.append(f"{what} -")
                continue
            slope, span = _line(t[i : j + 1], mid[i : j + 1]), float(t[j] - t[i])
            parts.append(f"{what} {_deg(slope, sgn):6.1f} over {span:.1f}")
            if into is not None:
                into.append((slope, span))
        print(
            f"  {name} {side} h {h:+.1f}: isthmus {mid[k]:+.1f} mm at row {k - a} of {b - a + 1}; "
            + " | ".join(parts)
        )
    if not backs:
        print(f"{name:24s} {side:5s} no rows behind the isthmus")
        return
    pooled = {}
    for what, fits in (("front", fronts), ("back", backs)):
        if fits:
            slope = float(np.average([s for s, _ in fits], weights=[L**3 for _, L in fits]))
            pooled[what] = (slope, pooled_error([L for _, L in fits], voxel_mm))
    back, back_err = pooled["back"]
    line = (
        f"{name:24s} {side:5s} back {_deg(back, sgn):6.1f} +- {math.degrees(math.atan(back_err)):4.1f} "
        f"({'trusted' if back_err <= pm.MAX_SLOPE_ERROR else 'not trusted'})"
    )
    if "front" in pooled:
        front, front_err = pooled["front"]
        z = abs(front - back) / math.hypot(front_err, back_err)
        line += f"  front {_deg(front, sgn):6.1f} +- {math.degrees(math.atan(front_err)):4.1f}  z {z:.1f}"
    print(line, flush=True)


def main() -> int:
    dataset = sys.argv[1] if len(sys.argv) > 1 else ""
    seen: list[dict[str, Any]] = []
    walls_direction, track = vp.walls_direction, pm.track_walls_together

    def recording_walls(d: FloatArray, mid: FloatArray, **kw: Any) -> Any:
        frame = kw["frame"]
        left = float((mid - frame.centroid_lps) @ frame.left) > frame.canal_center_u_mm
        seen.append({"side": "left" if left else "right", "voxel": max(kw["volume"].spacing_mm)})
        return walls_direction(d, mid, **kw)

    def recording_track(*args: Any, **kw: Any) -> Any:
        out = track(*args, **kw)
        seen[-1]["rows"] = out
        return out

    vp.walls_direction = recording_walls  # type: ignore[assignment]
    pm.track_walls_together = recording_track  # type: ignore[assignment]
    for name, volume, click in cases(dataset):
        offsets = CLICK_OFFSETS_MM if name == "lumbar L3" else {"": (0.0, 0.0, 0.0)}
        for label, offset in offsets.items():
            seen.clear()
            try:
                find_vertebra(volume, np.asarray(click) + np.asarray(offset))
            except ValueError as exc:
                print(f"{name} {label}: refused ({exc})")
                continue
            for found in seen:
                report(f"{name} {label}".strip(), found["side"], found["voxel"], found.get("rows", []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
