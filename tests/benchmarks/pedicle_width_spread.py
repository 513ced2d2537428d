"""Study (not run in CI): pedicle narrowest widths and axes for clicks moved within one vertebral body.

QA s25 E2: on the 3 mm abdomen, clicks up to 3 mm apart in the same body gave "narrowest" pedicle widths
up to 4 mm apart for the same bone (L2 left 8.1 ... 12.1 mm). For each body below the centre click and
seven moves of it (0.6 mm and 3 mm along z, 3 mm along y and x: every click within 3 mm of the centre)
are found with :func:`imaging.vertebra.find_vertebra`; per click and side the width, where it came from
(``waist`` or ``axis``: the waist of :mod:`imaging.pedicle_waist`, else the narrowest width across the
axis), the waist's height along the body's axis from its centroid, and the axis's craniocaudal and
mediolateral angles (:mod:`planning.vertebra_figures`) are printed; per body the spread (max - min over the
clicks) of each pedicle's width and angles.

Bodies: abdomen-pelvis-ct T12-L5 at the clicks of tests/benchmarks/endplate_click_spread.py,
lumbar-ct-labels L2-L4 (the crop holds no other whole body) at their body labels' centroids, chest-ct-dicom
T7-T11 at (-10, 125, z). Run from the checkout root (about 1 s per click)::

    PYTHONPATH=. nice -n 5 /work/main/.venv/bin/python tests/benchmarks/pedicle_width_spread.py \
        [DATASET [LEVEL ...]] [--json OUT]

with DATASET abdomen, lumbar or chest (all when left out). Positions LPS mm, widths mm, angles degrees.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import imaging.vertebra_pedicles as vertebra_pedicles
from imaging.image_files import read_image
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import VertebraNotFoundError
from imaging.volume import Volume
from planning.vertebra_figures import vertebra_figures
from tests.benchmarks.endplate_click_spread import ABDOMEN_CLICKS, CHEST_BODY_Z, DATA, MOVES, lumbar_bodies

SIDES = ("left", "right")


def cases(which: str) -> list[tuple[str, Volume, tuple[float, float, float]]]:
    out: list[tuple[str, Volume, tuple[float, float, float]]] = []
    if which in ("", "abdomen"):
        ct = read_image(DATA / "abdomen-pelvis-ct" / "ct.nii.gz")
        out += [(f"abdomen {lev}", ct, click) for lev, click in ABDOMEN_CLICKS.items()]
    if which in ("", "lumbar"):
        out += [(f"lumbar {lev}", ct, centre) for lev, ct, _, centre in lumbar_bodies()]
    if which in ("", "chest"):
        from imaging.load import load_volume

        chest = load_volume(DATA / "chest-ct-dicom").volume
        out += [(f"chest {lev}", chest, (-10.0, 125.0, z)) for lev, z in CHEST_BODY_Z.items()]
    return out


def one_click(volume: Volume, click: npt.ArrayLike) -> dict[str, Any] | str:
    """Per side: width, its source, the waist's height, the axis's angles; or why the click was refused."""
    waists: dict[str, Any] = {}
    original = vertebra_pedicles.pedicle_waist

    def recording(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        waists["left" if kwargs["sgn"] > 0 else "right"] = found
        return found

    vertebra_pedicles.pedicle_waist = recording  # type: ignore[assignment]
    try:
        anatomy = find_vertebra(volume, np.asarray(click, dtype=np.float64))
    except (ValueError, VertebraNotFoundError) as exc:
        return f"refused: {str(exc)[:90]}"
    finally:
        vertebra_pedicles.pedicle_waist = original  # type: ignore[assignment]
    figures = vertebra_figures(anatomy)["pedicles"]
    out: dict[str, Any] = {}
    for side in SIDES:
        f = figures[side]
        if not f["traced"]:
            out[side] = None
            continue
        w = waists.get(side)
        from_waist = w is not None and abs(w.width_mm - f["min_width_mm"]) < 0.006
        out[side] = {
            "width": round(float(f["min_width_mm"]), 2),
            "pm": f.get("min_width_uncertainty_mm"),
            "from": "waist" if from_waist else "axis",
            "waist_h": None if not from_waist else round(float(_waist_height(w)), 1),
            "cc": f["craniocaudal_deg"],
            "cc_pm": f.get("craniocaudal_uncertainty_deg"),
            "ml": f["mediolateral_deg"],
        }
    return out


def _waist_height(waist: Any) -> float:
    k = int(np.nanargmin(np.abs(waist.widths_mm - waist.width_mm)))
    return float(waist.heights_mm[k])


def spread(rows: list[dict[str, Any] | str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side in SIDES:
        found = [r[side] for r in rows if isinstance(r, dict) and r.get(side) is not None]
        if not found:
            out[side] = None
            continue
        s: dict[str, Any] = {"n": len(found), "of": len(rows)}
        for key in ("width", "cc", "ml"):
            vals = [float(f[key]) for f in found]
            s[key] = (min(vals), max(vals), round(max(vals) - min(vals), 2))
        # whether the ranges said (width +- uncertainty) share a value: the same bone read from every click
        if all(f.get("pm") is not None for f in found):
            low = max(f["width"] - f["pm"] for f in found)
            s["ranges_meet"] = low <= min(f["width"] + f["pm"] for f in found)
        # the same for the axis's craniocaudal angle +- its uncertainty (imaging.pedicle_tilt)
        if all(f.get("cc_pm") is not None for f in found):
            low = max(f["cc"] - f["cc_pm"] for f in found)
            s["cc_ranges_meet"] = low <= min(f["cc"] + f["cc_pm"] for f in found)
        out[side] = s
    return out


def main() -> None:
    args = sys.argv[1:]
    json_out = None
    if "--json" in args:
        i = args.index("--json")
        json_out = Path(args[i + 1])
        del args[i : i + 2]
    which = args[0] if args else ""
    levels = set(args[1:])  # e.g. "abdomen L1 L2": those bodies only
    report: dict[str, Any] = {}
    for name, volume, click in cases(which):
        if levels and name.split()[-1] not in levels:
            continue
        t0 = time.perf_counter()
        rows = []
        for move in MOVES:
            row = one_click(volume, np.add(click, move))
            rows.append(row)
            if isinstance(row, str):
                print(f"{name} move {move}: {row}", flush=True)
                continue
            words = []
            for side in SIDES:
                r = row[side]
                words.append(
                    f"{side} -"
                    if r is None
                    else f"{side} {r['width']:5.2f} +-{r['pm']} ({r['from']}, h {r['waist_h']}) "
                    f"cc {r['cc']:+5.1f} +-{r.get('cc_pm')} ml {r['ml']:+5.1f}"
                )
            print(f"{name} move {move}: {' | '.join(words)}", flush=True)
        s = spread(rows)
        report[name] = {"click": click, "rows": rows, "spread": s}
        words = []
        for side in SIDES:
            v = s[side]
            meet = (
                ""
                if v is None or "ranges_meet" not in v
                else ", ranges said " + ("meet" if v["ranges_meet"] else "apart")
            )
            cc_meet = (
                ""
                if v is None or "cc_ranges_meet" not in v
                else " (" + ("meet" if v["cc_ranges_meet"] else "apart") + ")"
            )
            words.append(
                f"{side} -"
                if v is None
                else f"{side} width {v['width'][0]:.1f}..{v['width'][1]:.1f} (spread {v['width'][2]:.1f}"
                f"{meet}) "
                f"cc spread {v['cc'][2]:.1f}{cc_meet} ml spread {v['ml'][2]:.1f} [{v['n']}/{v['of']}]"
            )
        print(f"== {name}: {' | '.join(words)}  ({time.perf_counter() - t0:.0f} s)", flush=True)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
