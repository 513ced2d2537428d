"""Study (not run in CI): the end plates' outputs at many clicks, to the bit, to show a change leaves them be.

For the bundled sample case's T7-T12 (six clicks each), the chest CT's T7-T12 (four clicks each, moved
otherwise than tests/benchmarks/endplate_click_spread.py moves them) and the abdomen's T12-L5 (three
each), :func:`imaging.vertebra.find_vertebra` is run and each end plate's found flag, voxel count, plane
(centre, normal, tilts, ± and source, as ``repr``), tilt-not-measured reason and the pedicles' narrowest
widths are written to a JSON file, with the CPU of each click kept apart. Run once on each checkout
(from its root; WHICH: sample, chest, abdomen, all when left out) and compare:

    PYTHONPATH=. nice -n 5 .venv/bin/python tests/benchmarks/endplate_outputs.py OUT.json [WHICH ...]
    .venv/bin/python tests/benchmarks/endplate_outputs.py compare BASE.json BRANCH.json

Session 31 (task F): identical at all 78 clicks before and after the mean edge's batched reads.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from app.resources import sample_case_path
from imaging.image_files import read_image
from imaging.load import load_volume
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import VertebraNotFoundError
from imaging.vertebra_model import VertebraAnatomy
from tests.benchmarks.endplate_click_spread import ABDOMEN_CLICKS, CHEST_BODY_Z, DATA

SAMPLE_MOVES = [(0, 0, 0), (0, 0, 0.6), (0, 0, -3), (0, 3, 0), (-3, 0, 0), (2, -2, 1.5)]
CHEST_MOVES = [(1, 0, 0), (0, -1.5, 1), (0, 0, -1.2), (-2, 2, 0)]
ABDOMEN_MOVES = [(0, 0, 1.5), (1, 1, 0), (0, 0, -1)]


def plates(anatomy: VertebraAnatomy) -> dict[str, Any]:
    """Each end plate's outputs as ``repr`` strings (every bit kept), and the pedicles' widths."""
    out: dict[str, Any] = {}
    for name in ("superior", "inferior"):
        mask = getattr(anatomy, f"{name}_endplate")
        row: dict[str, Any] = {"found": mask is not None, "voxels": None if mask is None else mask.count()}
        plane = anatomy.endplate_planes.get(name)
        if plane is not None:
            row.update({f: repr(getattr(plane, f)) for f in plane.__dataclass_fields__})
        row["not_measured"] = repr(anatomy.endplate_tilt_not_measured.get(name))
        out[name] = row
    out["pedicles"] = {str(k): repr(float(p.min_width_mm)) for k, p in anatomy.pedicles.items()}
    return out


def run(out_path: Path, which: list[str]) -> None:
    res: dict[str, Any] = {}
    cpu: dict[str, float] = {}
    cases: list[tuple[str, Any, tuple[float, float, float], list[tuple[float, float, float]]]] = []
    if "sample" in which:
        sample = load_volume(sample_case_path()).volume
        cases += [
            (f"sample {lev}", sample, (-10.0, 125.0, z), SAMPLE_MOVES) for lev, z in CHEST_BODY_Z.items()
        ]
    if "chest" in which:
        chest = load_volume(DATA / "chest-ct-dicom").volume
        cases += [(f"chest {lev}", chest, (-10.0, 125.0, z), CHEST_MOVES) for lev, z in CHEST_BODY_Z.items()]
    if "abdomen" in which:
        abdomen = read_image(DATA / "abdomen-pelvis-ct" / "ct.nii.gz")
        cases += [(f"abdomen {lev}", abdomen, c, ABDOMEN_MOVES) for lev, c in ABDOMEN_CLICKS.items()]
    for name, volume, click, moves in cases:
        for move in moves:
            key = f"{name} {move}"
            c0 = time.process_time()
            try:
                res[key] = plates(find_vertebra(volume, np.add(click, move)))
            except (ValueError, VertebraNotFoundError) as exc:
                res[key] = f"refused: {exc}"
            cpu[key] = round(time.process_time() - c0, 3)
            print(key, cpu[key], flush=True)
    out_path.write_text(json.dumps({"plates": res, "cpu": cpu}, indent=1))


def compare(base: Path, branch: Path) -> None:
    a, b = json.loads(base.read_text())["plates"], json.loads(branch.read_text())["plates"]
    differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    print(f"{len(a)} clicks on the base, {len(b)} on the branch; {len(differ)} differ")
    for k in differ:
        print(f"  {k}: {a.get(k)} -> {b.get(k)}")


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        compare(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        run(Path(sys.argv[1]), sys.argv[2:] or ["sample", "chest", "abdomen"])
