"""Figures (not run in CI): body, canal and pedicles from real-data clicks, to compare two versions.

Run from a checkout (its ``imaging`` is imported), once per version, with ../shared/data present::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/canal_click_figures.py [out.tsv]

Clicks: abdomen-pelvis-ct T12-L5 at the model body labels' centroids, and for L1-L4 the five clicks of
tests/imaging/test_vertebra_pedicle_click_lumbar.py around it; lumbar-ct-labels L2-L4 at their body
labels' centroids; chest-ct-dicom T6-T12 at (-10, 125, z); bone-lesions case1 at its named points and
case7 at lesion box 2's centre and one voxel from it along each axis. Per click one row: body volume
(mL), Dice against the labels' body where there are labels, canal depth (mm from the body's centroid
to the canal's centroid), and per side the narrowest pedicle width (mm) and the axis's mediolateral
angle (degrees, planning.trajectory_geometry; positive towards the patient's left).
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from imaging.load import load_volume
from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.vertebra_model import Side
from planning.trajectory_geometry import mediolateral_deg
from tests.imaging.case1_points import CASE1_CLICKS
from tests.imaging.real_volumes import abdomen_bodies, abdomen_ct, abdomen_levels
from tests.imaging.test_vertebra_pedicle_click_lumbar import _abdomen
from tests.imaging.test_vertebra_pedicles_chest import BODY_Z_MM as CHEST_Z_MM
from tests.imaging.test_vertebra_realdata import ABDOMEN, LUMBAR, _lumbar

#: the shared data beside the checkout (as tests/benchmarks/pedicle_figures.py)
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def _abdomen_truths() -> tuple[Any, dict[str, np.ndarray]]:
    from scipy import ndimage

    ct = abdomen_ct(DATA)
    levels = abdomen_levels(DATA)
    bodies, _ = ndimage.label(abdomen_bodies(DATA) == 1)
    truths: dict[str, np.ndarray] = {}
    for name, label in ABDOMEN.items():
        vertebra = levels == label
        overlap = np.bincount(bodies[vertebra], minlength=int(bodies.max()) + 1)
        overlap[0] = 0
        truths[name] = (bodies == int(np.argmax(overlap))) & vertebra
    return ct, truths


def cases() -> list[tuple[str, Any, np.ndarray, np.ndarray | None]]:
    """``(name, volume, click_lps, truth or None)`` for every click."""
    out: list[tuple[str, Any, np.ndarray, np.ndarray | None]] = []
    ct, truths = _abdomen_truths()
    _, jitter = _abdomen(str(DATA))
    for name, truth in truths.items():
        out.append(
            (f"abdomen {name} centroid", ct, ct.index_to_lps_points(np.argwhere(truth).mean(axis=0)), truth)
        )
        for click_name, click in jitter.get(name, {}).items():
            if click_name != "centre":
                out.append((f"abdomen {name} {click_name}", ct, np.array(click), truth))
    lct, sub, vert = _lumbar(str(DATA))
    for name, label in LUMBAR.items():
        truth = (vert == label) & np.isin(sub, [49, 50])
        out.append((f"lumbar {name}", lct, lct.index_to_lps_points(np.argwhere(truth).mean(axis=0)), truth))
    chest = load_volume(DATA / "chest-ct-dicom").volume
    for name, z in CHEST_Z_MM.items():
        out.append((f"chest {name}", chest, np.array((-10.0, 125.0, z)), None))
    case1 = load_volume(DATA / "bone-lesions" / "case1.nii.gz").volume
    for name, click in CASE1_CLICKS.items():
        out.append((f"case1 {name}", case1, np.array(click), None))
    folder = DATA / "bone-lesions"
    with (folder / "lesion-boxes.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["image_path"] == "case7.nii.gz"]
    centre = np.array([float(rows[1][k]) for k in ("x", "y", "z")])
    case7 = load_volume(folder / "case7.nii.gz").volume
    for offset in [(0, 0, 0), (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]:
        out.append((f"case7 {offset}", case7, centre + np.array(offset, dtype=float), None))
    return out


def main(out_path: Path | None) -> None:
    header = "case\tbody_ml\tdice\tcanal_depth_mm\tleft_w\tleft_deg\tright_w\tright_deg\tseconds"
    lines = [header]
    print(header, flush=True)
    for name, volume, click, truth in cases():
        t0 = time.process_time()
        try:
            a = find_vertebra(volume, click)
        except VertebraNotFoundError as exc:
            line = f"{name}\trefused: {exc}"
        else:
            dice = (
                f"{2.0 * (a.body.to_full() & truth).sum() / (a.body.to_full().sum() + truth.sum()):.3f}"
                if truth is not None
                else "-"
            )
            depth = float(np.linalg.norm(np.subtract(a.canal_centroid_lps, a.body_centroid_lps)))
            sides = []
            for side in (Side.LEFT, Side.RIGHT):
                p = a.pedicles.get(side)
                if p is None:
                    sides += ["-", "-"]
                else:
                    angle = mediolateral_deg(np.subtract(p.axis_target_lps, p.axis_entry_lps))
                    sides += [f"{p.min_width_mm:.2f}", f"{angle:.1f}"]
            line = "\t".join(
                [
                    name,
                    f"{a.body_volume_ml:.1f}",
                    dice,
                    f"{depth:.1f}",
                    *sides,
                    f"{time.process_time() - t0:.1f}",
                ]
            )
        print(line, flush=True)
        lines.append(line)
    if out_path is not None:
        out_path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
