"""Figures (not run in CI): real-data anatomy, band and proposals, from the tests' own helpers.

Run from the repository root with ../shared/data beside it:

    PYTHONPATH=. .venv/bin/python tests/benchmarks/figures_anatomy_real.py

Prints: vertebral body Dice against the labels (lumbar-ct-labels L2-L4, abdomen-pelvis-ct T12-L5); the body's
Dice against the centred click's body for clicks moved off centre (the cases of test_vertebra_click.py); the
posterior-wall band on chest-ct-dicom clicks (volume, fraction of the body, inside the body); chest T8-T10
proposals (approach, pedicle width, canal distance, pedicle clearance).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imaging.load import load_volume
from imaging.vertebra import find_vertebra
from planning.leakage import ZoneKind, leakage_zones
from planning.proposals import approach_side, propose_bilateral
from planning.trajectory import DistanceField, measure_trajectory
from tests.imaging import test_vertebra_click as click_tests
from tests.imaging import test_vertebra_realdata as realdata
from tests.planning.test_proposals import CHEST_BODIES, OD_13G

ROOT = Path(__file__).resolve().parents[3] / "shared" / "data"


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2.0 * (a & b).sum() / (a.sum() + b.sum()))


def body_dice() -> None:
    for level in realdata.LUMBAR:
        anatomy, truth = realdata._lumbar_result(str(ROOT), level)
        print(f"lumbar {level}: body Dice {_dice(anatomy.body.to_full(), truth):.3f}")
    for level in realdata.ABDOMEN:
        anatomy, truth = realdata._abdomen_result(str(ROOT), level)
        print(f"abdomen {level}: body Dice {_dice(anatomy.body.to_full(), truth):.3f}")


def click_independence() -> None:
    for dataset, level in click_tests.CASES:
        centre, reference = click_tests._reference(dataset, str(ROOT), level)
        ref = reference.body.to_full()
        dices = []
        for name, offset in click_tests.OFFSETS_MM.items():
            found = find_vertebra(click_tests._volume(dataset, str(ROOT)), centre + np.array(offset))
            dices.append((_dice(ref, found.body.to_full()), name))
        low = min(dices)
        high = max(dices)[0]
        print(f"{dataset} {level}: Dice {low[0]:.3f} ({low[1]}) to {high:.3f} against the centred click")


def chest_band_and_proposals() -> None:
    ct = load_volume(ROOT / "chest-ct-dicom").volume
    for click in [(0.0, 127.0, -45.0), (0.0, 127.0, -68.0), (-10.0, 127.0, -68.0), (-10.0, 125.0, -45.0)]:
        anatomy = find_vertebra(ct, click)
        (band,) = leakage_zones(ct, anatomy).zones_of(ZoneKind.POSTERIOR_WALL_BAND)
        inside = bool(np.all(anatomy.body.to_full()[band.mask.to_full()]))
        print(
            f"chest {click}: body {anatomy.body_volume_ml:.1f} mL, band {band.volume_ml:.2f} mL "
            f"({band.volume_ml / anatomy.body_volume_ml:.1%}), inside the body: {inside}"
        )
    for level, click in CHEST_BODIES.items():
        anatomy = find_vertebra(ct, click, level_hint=level)
        canal = DistanceField(anatomy.canal, ct.index_to_lps)
        for p in propose_bilateral(ct, anatomy, outer_diameter_mm=OD_13G, antenna_extension_mm=15.0):
            side = approach_side(p.approach)
            axis = anatomy.pedicles.get(side) if side is not None else None
            via = p.pedicle_traced and not p.narrow and axis is not None
            m = measure_trajectory(
                ct,
                p.route.geometry,
                outer_diameter_mm=OD_13G,
                needle_length_mm=150.0,
                antenna_extension_mm=0.0,
                antenna_outer_diameter_mm=1.6,
                canal=canal,
                pedicle_isthmus_lps=axis.isthmus_lps if via and axis else None,
                pedicle_min_width_mm=axis.min_width_mm if via and axis else None,
            )
            width = f"{p.pedicle_min_width_mm:.1f}" if p.pedicle_min_width_mm is not None else "-"
            clear = f"{m.pedicle_clearance_mm:.2f}" if m.pedicle_clearance_mm is not None else "-"
            print(
                f"chest {level} {p.route.approach.value}: width {width} mm, narrow {p.narrow}, "
                f"canal {m.canal_distance_mm:.1f} mm, pedicle clearance {clear} mm"
            )


def main() -> None:
    if not ROOT.is_dir():
        print(f"skipped: {ROOT} is absent")
        return
    body_dice()
    click_independence()
    chest_band_and_proposals()


if __name__ == "__main__":
    main()
