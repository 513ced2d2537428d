"""Study (not run in CI): how far each end plate layer's plane lies from the CT's edge read on its columns.

For the clicks of tests/benchmarks/endplate_click_spread.py (each body's click and seven moves of it), every
end plate the search finds is fitted as :func:`imaging.endplate_fit.fit_endplate` fits it; beside what the
plane was read from, this prints :func:`imaging.endplate_fit.layer_past_edge_mm` of the mask's layer against
the edges its columns read (negative: the edge lies outwards of the layer, as on a mask that ends at the
plate; positive: the mask ran past the plate's edge), with how many columns read one. The layer is checked
only where it is the fallback, but the figure is printed for every plate to show its usual range
(imaging.endplate_fit.LAYER_PAST_EDGE_MM). Run from the checkout root:

    PYTHONPATH=. nice -n 10 /work/main/.venv/bin/python tests/benchmarks/endplate_layer_check.py [DATASET]

with DATASET abdomen, lumbar or chest (all when left out).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

import imaging.vertebra_assembly as assembly
from imaging.endplate_edge import column_edges, edge_points, plate_columns
from imaging.endplate_fit import fit_endplate, layer_past_edge_mm
from imaging.endplate_plane import endplate_plane
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import VertebraNotFoundError
from tests.benchmarks.endplate_click_spread import MOVES, cases_with_labels


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    seen: list[tuple[str, float, int, str]] = []

    def fit(volume: Any, roi: Any, body: Any, layer: Any, axis: Any, *, superior: bool) -> Any:
        got = fit_endplate(volume, roi, body, layer, axis, superior=superior)
        name = "superior" if superior else "inferior"
        plane = endplate_plane(roi.voxel_points_lps(layer), axis, superior=superior)
        cols = plate_columns(roi, body, np.asarray(axis, dtype=np.float64), superior=superior)
        if plane is None or cols is None:
            seen.append((name, float("nan"), 0, "no layer plane or columns"))
            return got
        read = edge_points(cols, column_edges(volume, cols))
        source = getattr(got, "tilt_from", None) or type(got).__name__
        seen.append((name, layer_past_edge_mm(plane, read), len(read), f"{source} of {len(cols.uv)} columns"))
        return got

    assembly.fit_endplate = fit  # type: ignore[assignment]
    for name, volume, click, _ in cases_with_labels(which):
        for move in MOVES:
            seen.clear()
            try:
                find_vertebra(volume, np.add(click, move))
            except (ValueError, VertebraNotFoundError) as exc:
                print(f"{name} {move}: refused ({str(exc)[:60]})", flush=True)
                continue
            said = "; ".join(f"{p} {mm:+.2f} mm ({n} read, {src})" for p, mm, n, src in seen)
            print(f"{name} {move}: {said}", flush=True)


if __name__ == "__main__":
    main()
