"""The posterior wall's reading on the real-data vertebrae: intact or not, each defect and foramen (size,
place), the number of unresolved-cortex notes, and the smallest gap the scan is sure to show (QA s25 E3).

Run from the worktree root (a few minutes):
    PYTHONPATH=. nice -n 5 /work/main/.venv/bin/python tests/benchmarks/wall_limit_figures.py
Compare the output before and after a change of the wall code: every line should match, or the change
is listed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from imaging.load import load_volume
from imaging.vertebra import find_vertebra
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from tests.imaging.case1_points import CASE1_CLICKS
from tests.imaging.test_vertebra_realdata import _lumbar_result

DATA = Path("/work/shared/data")
ABDOMEN = {
    "T12": (4.5, -111.0, 416.6),
    "L1": (6.5, -120.9, 386.0),
    "L2": (5.9, -133.0, 351.7),
    "L3": (4.9, -141.3, 315.7),
    "L5": (1.3, -133.9, 242.3),
}
CHEST_Z = {"T8": -45.0, "T9": -68.5, "T10": -92.0, "T11": -116.0}


def _line(name: str, a: VertebraAnatomy) -> str:
    smallest = getattr(a, "posterior_wall_smallest_gap_mm", None)
    out = [
        f"{name}: intact {a.posterior_wall_intact} assessed {a.posterior_wall_assessed} "
        f"smallest sure gap {smallest} mm"
    ]
    out += [f"    defect {d.size_mm:.1f} mm: {d.description}" for d in a.posterior_wall_defects]
    out += [f"    foramen {d.size_mm:.1f} mm: {d.description}" for d in a.basivertebral_foramina]
    wall_notes = [n for n in a.notes if "posterior wall" in n]
    out += [f"    note: {n[:110]}" for n in wall_notes]
    return "\n".join(out)


def _nifti(path: Path) -> Volume:
    return load_volume(path).volume


def main() -> None:
    for level in ("L2", "L3", "L4"):
        print(_line(f"lumbar-ct-labels {level}", _lumbar_result(str(DATA), level)[0]), flush=True)
    abdomen = _nifti(DATA / "abdomen-pelvis-ct" / "ct.nii.gz")
    for level, click in ABDOMEN.items():
        print(_line(f"abdomen {level}", find_vertebra(abdomen, np.array(click))), flush=True)
    chest = load_volume(DATA / "chest-ct-dicom").volume
    for level, z in CHEST_Z.items():
        print(_line(f"chest {level}", find_vertebra(chest, np.array([-10.0, 125.0, z]))), flush=True)
    case1 = _nifti(DATA / "bone-lesions" / "case1.nii.gz")
    print(_line("case1 click", find_vertebra(case1, np.array(CASE1_CLICKS["click"]))), flush=True)
    with (DATA / "bone-lesions" / "lesion-boxes.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["image_path"] == "case7.nii.gz"]
    case7 = _nifti(DATA / "bone-lesions" / "case7.nii.gz")
    centre = np.array([float(rows[1][k]) for k in ("x", "y", "z")])
    print(_line("case7 box 2", find_vertebra(case7, centre)), flush=True)


if __name__ == "__main__":
    main()
