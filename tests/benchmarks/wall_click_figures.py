"""Study (not run in CI): clicks on and behind a body's posterior wall, against the body's centroid click.

Run from a checkout (its ``imaging`` is imported), once per version::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/wall_click_figures.py

For the abdomen, lumbar and chest bodies of tests/benchmarks/pedicle_figures.py: the vertebra is found
from the click; along the line from the body's centroid to the canal's centroid (axial) the body's last
voxel is its back. Clicks on that line at the back and 1 and 2 mm in front of it (on the posterior wall,
QA session 21 F2), and 7, 10 and 13 mm behind the canal's centroid (in the arch or behind it, F3). Per
click one line: ``OK`` with the body's Dice against the centroid click's body, the canal centroid's shift
(mm) and both pedicles' narrowest widths; or the refusal. Positions LPS mm.
"""

from __future__ import annotations

import numpy as np

from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.vertebra_model import Side
from tests.benchmarks.pedicle_figures import cases

#: along the centroid-to-canal line, from the body's back (negative: in front of it, in the body)
WALL_OFFSETS_MM = (-2.0, -1.0, 0.0)
#: from the canal's centroid, backwards
BEHIND_CANAL_MM = (7.0, 10.0, 13.0)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2.0 * (a & b).sum() / (a.sum() + b.sum()))


def _widths(anatomy: object) -> str:
    pedicles = anatomy.pedicles  # type: ignore[attr-defined]
    return " ".join(
        f"{side.value} {pedicles[side].min_width_mm:.2f}" if side in pedicles else f"{side.value} -"
        for side in (Side.LEFT, Side.RIGHT)
    )


def main() -> None:
    for name, volume, click in cases():
        if name.split()[0] not in ("abdomen", "lumbar", "chest"):
            continue
        try:
            ref = find_vertebra(volume, click)
        except VertebraNotFoundError as exc:
            print(f"{name}: centroid click refused: {exc}", flush=True)
            continue
        body = ref.body.to_full()
        centroid = np.array(ref.body_centroid_lps)
        canal = np.array(ref.canal_centroid_lps)
        back_dir = canal - centroid
        back_dir[2] = 0.0
        back_dir /= np.linalg.norm(back_dir)
        # the body's back on the line: the last body voxel stepping 0.5 mm from the centroid
        steps = np.arange(0.0, 60.0, 0.5)
        pts = centroid + steps[:, None] * back_dir
        idx = np.rint(volume.lps_to_index_points(pts)).astype(int)
        inside = np.all((idx >= 0) & (idx < np.array(body.shape)), axis=1)
        on = np.zeros(len(steps), dtype=bool)
        on[inside] = body[tuple(idx[inside].T)]
        back = float(steps[np.flatnonzero(on).max()])
        print(
            f"{name}: centroid click {ref.body_volume_ml:.1f} mL, {_widths(ref)}; back {back:.1f} mm",
            flush=True,
        )
        moved = [(f"wall {d:+.0f}", centroid + (back + d) * back_dir) for d in WALL_OFFSETS_MM]
        moved += [(f"canal +{d:.0f}", canal + d * back_dir) for d in BEHIND_CANAL_MM]
        for label, point in moved:
            where = "(" + ", ".join(f"{v:.1f}" for v in point) + ")"
            try:
                found = find_vertebra(volume, point)
            except VertebraNotFoundError as exc:
                print(f"   {label} {where}: REFUSED {exc.reason}", flush=True)
                continue
            shift = float(np.linalg.norm(np.array(found.canal_centroid_lps) - canal))
            print(
                f"   {label} {where}: OK Dice {_dice(found.body.to_full(), body):.3f} "
                f"{found.body_volume_ml:.1f} mL canal shift {shift:.1f} mm {_widths(found)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
