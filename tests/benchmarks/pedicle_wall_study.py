"""Study (not run in CI): which rule placed each edge of a pedicle's narrowest width (QA s19 F5).

For the abdomen's clicks of tests/imaging/test_vertebra_pedicle_click_lumbar.py (3 mm voxels), or the
lumbar-ct-labels L3 clicks of tests/imaging/test_vertebra_pedicle_click_lumbar_labels.py (1.5 mm), every
pedicle's narrowest width is traced back to the CT profile it was measured on
(:func:`imaging.pedicle_profile._edges_on_profile`), and for each of that profile's two ends it prints
where the bone run ended, the edge the run's end gives (:func:`imaging.pedicle_profile._run_end`) and
the first wall's (:func:`imaging.pedicle_profile._first_wall`) with its cortex peak, the lowest value
within ``WALL_DIP_REACH_MM`` of it, whether that low lies at the reach's end (the profile still falling,
no dip) and the rise after it. Which function measured the width (the waist or the lines across the
axis) is its caller.

Run from the checkout: ``PYTHONPATH=. .venv/bin/python tests/benchmarks/pedicle_wall_study.py abdomen L5``
(levels comma-separated) or ``... pedicle_wall_study.py labels``. Needs ../shared/data.

Measured (session 20, main at 3d86438), abdomen L5 right: from five clicks the width (11.06-11.97 mm)
is read across the axis, one end placed by the first wall on a fall to 109-116 HU or a dip to 150 HU
that rises 39-49 HU after it; from the click on the slice's centre a waist is found and its width
(5.44 mm) ends at the half-way fall from the 687 HU medial cortex to 258 HU, the first wall's low at the
reach's last sample (still falling), the bony solid running on 3.75 mm beyond it. Two changes to the
first wall were measured and not landed (the figures are in WIDTH_SHORT's comment in
tests/imaging/test_vertebra_pedicle_click_lumbar.py).
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import imaging.pedicle_profile as pp
from imaging.vertebra import find_vertebra

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def _dip(profile: np.ndarray, i0: int, i_end: int, direction: int) -> str:
    """The first wall's cortex peak and low as :func:`imaging.pedicle_profile._first_wall` finds them."""
    n = len(profile)
    stop = min(max(i_end + direction * round(4.0 / pp.PROFILE_STEP_MM), 0), n - 1)
    floor = float(profile.min())
    for k in list(range(i0 + direction, stop, direction))[:-1]:
        peak = float(profile[k])
        if not (peak >= profile[k - direction] and peak >= profile[k + direction]):
            continue
        j = low_j = k + direction
        reach_j = k + direction * round(pp.WALL_DIP_REACH_MM / pp.PROFILE_STEP_MM)
        while j not in (stop, reach_j) and profile[j] <= peak:
            if profile[j] < profile[low_j]:
                low_j = j
            j += direction
        low = float(profile[low_j])
        if peak - low < max(pp.WALL_DIP_FRACTION * (peak - floor), 50.0):
            continue
        rise = float(profile[min(low_j, j) : max(low_j, j) + 1].max()) - low
        at_end = " at the reach end" if low_j == j - direction and j in (stop, reach_j) else ""
        return f"peak {peak:.0f} HU, low {low:.0f}{at_end}, rise after {rise:.0f}"
    return "no dip"


def _explain(profile: np.ndarray, r: np.ndarray, bony: np.ndarray, inside: np.ndarray) -> list[str]:
    i0 = len(r) // 2
    i_lo, i_hi = pp.run_through_middle(inside)
    i_mid = (i_lo + i_hi) // 2
    out = []
    for name, i_end, direction in (("-", i_lo, -1), ("+", i_hi, 1)):
        run = pp._run_end(profile, r, bony, i_end, direction, i_mid=i_mid)
        wall = pp._first_wall(profile, r, i0, i_end, direction)
        out.append(
            f"    end {name}: run to {r[i_end]:+.2f} mm, run edge {run if run is None else round(run, 2)}, "
            f"first wall {wall if wall is None else round(wall, 2)} ({_dip(profile, i0, i_end, direction)})"
        )
    return out


def run(clicks: dict[str, Any], volume: Any, level: str) -> None:
    seen: list[tuple[Any, ...]] = []
    original = pp._edges_on_profile

    def recording(profile: Any, r: Any, bony: Any, inside: Any) -> Any:
        edges = original(profile, r, bony, inside)
        caller = [f.function for f in inspect.stack()[2:6]]
        seen.append((profile.copy(), r, bony.copy(), inside.copy(), edges, caller))
        return edges

    pp._edges_on_profile = recording  # type: ignore[assignment]
    try:
        for name, click in clicks.items():
            seen.clear()
            anatomy = find_vertebra(volume, click, level_hint=level)
            for side, ped in anatomy.pedicles.items():
                width = ped.min_width_mm
                hits = [s for s in seen if s[4] is not None and abs(s[4][1] - s[4][0] - width) < 1e-9]
                print(f"{level} {name} {side.value}: {ped.min_width_mm:.2f} mm", end="")
                if not hits:
                    print(" (its profile not found)")
                    continue
                profile, r, bony, inside, edges, caller = hits[-1]
                print(f", edges {edges[0]:+.2f} / {edges[1]:+.2f} mm, from {' < '.join(caller)}")
                print("\n".join(_explain(profile, r, bony, inside)))
    finally:
        pp._edges_on_profile = original  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    if argv[0] == "abdomen":
        from tests.imaging.test_vertebra_pedicle_click_lumbar import _abdomen

        ct, clicks = _abdomen(str(DATA))
        for level in argv[1].split(",") if len(argv) > 1 else list(clicks):
            run(clicks[level], ct, level)
    else:
        from tests.imaging.test_vertebra_pedicle_click_lumbar_labels import CLICK_OFFSETS_MM, L3
        from tests.imaging.test_vertebra_realdata import _lumbar

        ct, sub, vert = _lumbar(str(DATA))
        centroid = ct.index_to_lps_points(np.argwhere((vert == L3) & np.isin(sub, [49, 50])).mean(axis=0))
        run({name: centroid + np.array(d) for name, d in CLICK_OFFSETS_MM.items()}, ct, "L3")


if __name__ == "__main__":
    main(sys.argv[1:])
