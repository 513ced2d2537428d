"""Study (not run in CI): which step of the pedicle search moves the narrowest width between clicks.

Session 28 (task D): on the 3 mm abdomen, L5's narrowest widths over the 8 clicks of
tests/benchmarks/pedicle_width_spread.py read left 8.6..16.1 mm and right 5.3..17.6 mm. For each click this
prints, per side, the figures of each step of :func:`imaging.vertebra_pedicles.find_pedicle`: the body's
frame (centroid ``c``, superior axis ``a``, posterior ``p``), the canal's depth and the front of the
sections split and carried (``canal_t``, ``front_t``: mm along ``p`` from ``c``), the traced sections'
depths and count, the waist's width (None: no waist), the final axis (direction ``d``, its middle ``mid``),
the ROI's first voxel centre, and the run of widths across the axis (``s`` mm along ``d`` from ``mid``,
the index ``k`` of the narrowest). Run from the checkout root::

    PYTHONPATH=. nice -n 5 /work/main/.venv/bin/python tests/benchmarks/pedicle_width_steps.py [LEVEL ...]

with abdomen levels T12..L5 (L5 when left out). Positions LPS mm, widths mm.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

import imaging.vertebra as vertebra
import imaging.vertebra_assembly as vertebra_assembly
import imaging.vertebra_pedicles as vertebra_pedicles
from imaging.image_files import read_image
from imaging.vertebra_errors import VertebraNotFoundError
from tests.benchmarks.endplate_click_spread import ABDOMEN_CLICKS, DATA, MOVES

SIDES = ("left", "right")


def recorded_click(volume: Any, click: Any) -> dict[str, Any]:
    """Per side the step figures of one click (see the module's docstring); {"refused": why} if refused."""
    rec: dict[str, Any] = {}
    originals = (
        vertebra_assembly.find_pedicle,
        vertebra_pedicles.narrowest,
        vertebra_pedicles.trace_sections,
        vertebra_pedicles.pedicle_waist,
    )
    find, narrow, trace, waist = originals

    def find_rec(side: Any, volume: Any, roi: Any, **kw: Any) -> Any:
        rec["side"] = side.value
        f = kw["frame"]
        r = rec.setdefault(side.value, {})
        r.update(roi0=roi.index_to_lps(np.zeros((1, 3)))[0], c=f.centroid_lps, a=f.axis, p=f.posterior)
        r["canal_t"] = f.canal_t_mm
        r["result"] = find(side, volume, roi, **kw)
        return r["result"]

    def narrow_rec(s: Any, w: Any) -> Any:
        k, v = narrow(s, w)
        rec[rec["side"]]["run"] = (s.copy(), w.copy(), k)
        return k, v

    def trace_rec(*args: Any, **kw: Any) -> Any:
        t = trace(*args, **kw)
        r = rec[rec["side"]]
        if t is not None:
            depths = (t.centroids - kw["frame"].centroid_lps) @ kw["frame"].posterior
            r.update(front_t=t.front_t_mm, sec_t=(float(depths.min()), float(depths.max()), len(depths)))
        return t

    def waist_rec(*args: Any, **kw: Any) -> Any:
        w = waist(*args, **kw)
        rec[rec["side"]]["waist"] = None if w is None else round(float(w.width_mm), 2)
        return w

    vertebra_assembly.find_pedicle = find_rec  # type: ignore[assignment]
    vertebra_pedicles.narrowest = narrow_rec  # type: ignore[assignment]
    vertebra_pedicles.trace_sections = trace_rec  # type: ignore[assignment]
    vertebra_pedicles.pedicle_waist = waist_rec  # type: ignore[assignment]
    try:
        vertebra.find_vertebra(volume, np.asarray(click, dtype=np.float64))
    except (ValueError, VertebraNotFoundError) as exc:
        return {"refused": str(exc)[:90]}
    finally:
        (
            vertebra_assembly.find_pedicle,
            vertebra_pedicles.narrowest,
            vertebra_pedicles.trace_sections,
            vertebra_pedicles.pedicle_waist,
        ) = originals  # type: ignore[assignment]
    return rec


def main() -> None:
    ct = read_image(DATA / "abdomen-pelvis-ct" / "ct.nii.gz")
    for level in sys.argv[1:] or ["L5"]:
        for move in MOVES:
            rec = recorded_click(ct, np.add(ABDOMEN_CLICKS[level], move))
            if "refused" in rec:
                print(f"{level} {move}: refused: {rec['refused']}", flush=True)
                continue
            for side in SIDES:
                r = rec.get(side)
                res = None if r is None else r.get("result")
                if r is None or res is None or "run" not in r:
                    print(f"{level} {move} {side}: not traced", flush=True)
                    continue
                s, w, k = r["run"]
                mid = res.isthmus_lps - float(s[k]) * res.direction_lps

                def v(x: Any) -> str:
                    return str(np.round(np.asarray(x, dtype=float), 3).tolist())

                print(
                    f"{level} {move} {side}: width {res.min_width_mm:.2f} waist {r.get('waist')} "
                    f"c {v(r['c'])} a {v(r['a'])} p {v(r['p'])} "
                    f"canal_t {r['canal_t']:.1f} front_t {r['front_t']:.1f} "
                    f"sec_t {v(r['sec_t'][:2])} n {r['sec_t'][2]} d {v(res.direction_lps)} mid {v(mid)} "
                    f"roi0 {v(r['roi0'])}",
                    flush=True,
                )
                print(
                    f"    run s {s[0]:.1f}..{s[-1]:.1f} k {k}: " + " ".join(f"{x:.1f}" for x in w),
                    flush=True,
                )


if __name__ == "__main__":
    main()
