"""Figures (not run in CI): the pedicle clearance of the program's own transpedicular proposals.

For each vertebra click and side, the anatomy is found (:func:`imaging.vertebra.find_vertebra`), a
transpedicular needle proposed as the Needles dock and ``osteoplan plan`` propose it
(:func:`planning.proposals.propose_side`, default safety margin) and measured as the dock measures it
(:func:`planning.trajectory.measure_trajectory` with the pedicle's mask and isthmus): the clearance
between the needle's surface and the pedicle cortex (negative: it breaches; the needle's radius
counts), the wall it is nearest, the narrowest pedicle width, the distance to the canal, whether the
proposal was called narrow, and the proposal's notes about the pedicle.

Clicks: the bundled sample case and chest-ct-dicom T7-T12 at (-10, 125, z); abdomen-pelvis-ct T12-L5
and lumbar-ct-labels L2-L4 at their bodies' label centroids (as tests/benchmarks/pedicle_figures.py);
the vertebra phantom of tests/phantoms/vertebra.py. Gauges 13 G (the default) and 11 G.

Run from a checkout::

    PYTHONPATH=. nice -n 5 .venv/bin/python tests/benchmarks/proposal_clearance_figures.py [dataset] > out.txt

``dataset`` (optional) is a prefix of the case names: sample, chest, abdomen, lumbar, phantom.
Positions LPS mm, lengths mm.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.pedicle_figures import CHEST_Z_MM, DATA, cases

ROOT = Path(__file__).resolve().parents[2]
GAUGES = (13, 11)
#: antenna extension the dock and the plan spec use by default (planning.needles)
EXTENSION_MM = 15.0


def _sample() -> list[tuple[str, Any, np.ndarray]]:
    from imaging.load import load_volume

    volume = load_volume(ROOT / "resources" / "sample_case").volume
    return [(f"sample {name}", volume, np.array((-10.0, 125.0, z))) for name, z in CHEST_Z_MM.items()]


def _abdomen_t12() -> list[tuple[str, Any, np.ndarray]]:
    from tests.benchmarks.pedicle_figures import _sitk_volume

    ct = _sitk_volume(DATA / "abdomen-pelvis-ct" / "ct.nii.gz")
    return [("abdomen T12", ct, np.array((4.5, -111.0, 416.6)))]


def _phantom() -> list[tuple[str, Any, np.ndarray]]:
    from tests.phantoms.vertebra import make_vertebra_phantom

    ph = make_vertebra_phantom()
    return [("phantom vertebra", ph.volume, np.asarray(ph.center_lps, dtype=float))]


def all_cases(dataset: str) -> list[tuple[str, Any, np.ndarray]]:
    out: list[tuple[str, Any, np.ndarray]] = []
    if "sample".startswith(dataset) or dataset.startswith("sample"):
        out += [c for c in _sample() if c[0].startswith(dataset)]
    if "chest".startswith(dataset) or dataset.startswith("chest"):
        out += cases(dataset or "chest")
    if "abdomen".startswith(dataset) or dataset.startswith("abdomen"):
        out += [c for c in _abdomen_t12() if c[0].startswith(dataset)]
        out += cases(dataset or "abdomen")
    if "lumbar".startswith(dataset) or dataset.startswith("lumbar"):
        out += cases(dataset or "lumbar")
    if "phantom".startswith(dataset) or dataset.startswith("phantom"):
        out += _phantom()
    return out


def measure(volume: Any, anatomy: Any, side: Any, gauge: int) -> str:
    from planning.distance_field import DistanceField
    from planning.needles import Needle, access_needle_outer_diameter_mm
    from planning.proposals import propose_side
    from planning.trajectory import measure_trajectory

    od = access_needle_outer_diameter_mm(gauge)
    needle = Needle(gauge=gauge, outer_diameter_mm=od)
    axis = anatomy.pedicles.get(side)
    if axis is None:
        return "pedicle not traced"
    p = propose_side(volume, anatomy, side, outer_diameter_mm=od, antenna_extension_mm=EXTENSION_MM)
    canal = DistanceField(anatomy.safety_canal, volume.index_to_lps) if anatomy.safety_canal.any() else None
    m = measure_trajectory(
        volume,
        p.geometry,
        outer_diameter_mm=od,
        needle_length_mm=needle.length_mm,
        antenna_extension_mm=0.0,
        antenna_outer_diameter_mm=needle.antenna_outer_diameter_mm,
        canal=canal,
        pedicle_mask=axis.mask,
        pedicle_isthmus_lps=axis.isthmus_lps,
        pedicle_min_width_mm=axis.min_width_mm,
        body=anatomy.body,
    )
    c = m.pedicle_clearance_mm
    clear = "none" if c is None else f"{c:+.2f}"
    wall = "" if m.pedicle_breach_side is None else f" {m.pedicle_breach_side.value}"
    canal_mm = "-" if m.canal_distance_mm is None else f"{m.canal_distance_mm:.1f}"
    notes = [w for w in p.warnings if "pedicle" in w or "needle" in w]
    return (
        f"{gauge}G width {axis.min_width_mm:.2f} clearance {clear}{wall} canal {canal_mm} "
        f"narrow {p.narrow} entry {np.round(p.entry_lps, 1).tolist()} target "
        f"{np.round(p.target_lps, 1).tolist()} | " + " / ".join(notes)
    )


def main(dataset: str = "") -> None:
    from imaging.vertebra import find_vertebra
    from imaging.vertebra_model import Side

    for name, volume, click in all_cases(dataset):
        t0 = time.process_time()
        try:
            anatomy = find_vertebra(volume, click)
        except ValueError as exc:
            print(f"{name}: refused ({exc})", flush=True)
            continue
        for side in (Side.LEFT, Side.RIGHT):
            for gauge in GAUGES:
                print(f"{name} {side.value}: {measure(volume, anatomy, side, gauge)}", flush=True)
        print(f"  ({time.process_time() - t0:.1f} s CPU)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
