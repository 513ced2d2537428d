"""How the chest CT's pedicle widths and fitted convergence move with the click (a study, not a test).

For each level, the vertebra is found from clicks at the body centre's height offset by -2 .. +2 mm
(x -10, y 122 mm: the proposals' clicks) and from six clicks in the body's plane (x -10 / -7, y 122 /
125 / 128 mm); printed per side: the narrowest width from each click and the spread, and the
convergence the sections' fit gave (degrees, + converging towards the front). With
``--hold-convergence DEG`` the fitted convergence is replaced by DEG (the fitted tilt kept): what the
widths do when the direction does not move. Since session 7 the width is the pedicle's waist
(imaging.pedicle_waist), which does not use the axis: the convergence printed no longer moves it.
Positions LPS mm.

Run: ``PYTHONPATH=. .venv/bin/python tests/benchmarks/pedicle_click_study.py [--levels T9,T10]
[--hold-convergence 0]`` (needs ../shared/data; about 2 s a click).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

import imaging.vertebra_pedicles as vp
from imaging.load import load_volume
from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side

ROOT = Path(__file__).resolve().parents[2]
CHEST = ROOT.parent / "shared" / "data" / "chest-ct-dicom"
#: body centres' z (mm), as tests/imaging/test_vertebra_pedicles_chest.py
BODY_Z_MM = {"T6": 1.0, "T7": -21.5, "T8": -45.0, "T9": -68.5, "T10": -92.0, "T11": -116.0, "T12": -140.0}
DZ_MM = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)
XY_MM = tuple((x, y) for y in (122.0, 125.0, 128.0) for x in (-10.0, -7.0))


def _patch_fit(hold_deg: float | None, fitted: dict[Side, float]) -> None:
    """Record each side's fitted convergence; with ``hold_deg``, replace it (tilt kept)."""
    original = vp._fit_direction

    def fit(cents: Any, c: Any, p: Any, lft: Any, a: Any) -> Any:
        out = original(cents, c, p, lft, a)
        if out is None:
            return None
        d, kept = out
        # the left pedicle lies on +lft: its axis converges towards the front when d (towards the
        # entry) points to +lft
        sgn = 1.0 if float((kept.mean(axis=0) - c) @ lft) > 0 else -1.0
        side = Side.LEFT if sgn > 0 else Side.RIGHT
        fitted[side] = float(np.degrees(np.arctan2(sgn * float(d @ lft), float(d @ p))))
        if hold_deg is None:
            return out
        rad = np.radians(hold_deg)
        along_a = float(d @ a)
        held = np.sqrt(1.0 - along_a**2) * (np.cos(rad) * p + sgn * np.sin(rad) * lft) + along_a * a
        return held / np.linalg.norm(held), kept

    vp._fit_direction = fit  # type: ignore[assignment]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="T8,T9,T10")
    parser.add_argument("--hold-convergence", type=float, default=None, metavar="DEG")
    args = parser.parse_args()
    if not CHEST.is_dir():
        sys.stderr.write(f"{CHEST} is absent\n")
        return 2
    fitted: dict[Side, float] = {}
    _patch_fit(args.hold_convergence, fitted)
    ct = load_volume(CHEST).volume
    held = "fitted" if args.hold_convergence is None else f"held at {args.hold_convergence:g} deg"
    sys.stdout.write(f"convergence {held}; widths mm (convergence deg)\n")
    for level in args.levels.split(","):
        z = BODY_Z_MM[level]
        clicks = [(-10.0, 122.0, z + dz) for dz in DZ_MM] + [(x, y, z) for x, y in XY_MM]
        rows: dict[Side, list[tuple[float, float]]] = {Side.LEFT: [], Side.RIGHT: []}
        for click in clicks:
            fitted.clear()
            anatomy = find_vertebra(ct, click, level_hint=level)
            for side in (Side.LEFT, Side.RIGHT):
                ped = anatomy.pedicles.get(side)
                rows[side].append((np.nan if ped is None else ped.min_width_mm, fitted.get(side, np.nan)))
        n = len(DZ_MM)
        for side, vals in rows.items():
            w = np.array([v[0] for v in vals])
            heights = " ".join(f"{wi:5.2f} ({ci:5.1f})" for wi, ci in vals[:n])
            plane = " ".join(f"{wi:5.2f} ({ci:5.1f})" for wi, ci in vals[n:])
            spread_h = np.nanmax(w[:n]) - np.nanmin(w[:n])
            spread_p = np.nanmax(w[n:]) - np.nanmin(w[n:])
            sys.stdout.write(
                f"{level} {side.value:5s} heights {heights} | plane {plane} | spread heights "
                f"{spread_h:.2f}, plane {spread_p:.2f}\n"
            )
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
