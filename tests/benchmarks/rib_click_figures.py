"""Study (not run in CI): vertebra clicks on ribs and on other bone, and what the tool says of them.

Run from a checkout::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/rib_click_figures.py

The clicks are those of tests/imaging/test_click_rib_realdata.py (chest-ct-dicom and abdomen-pelvis-ct:
ribs at T6-T12 on both sides; the vertebra's processes, scapula, clavicle, sternum and pelvis), and rib
heads pressed against the bodies, which the rib check does not tell apart (session 22). For each click:
the bar followed from it (length, section, thickness; CPU time of :func:`imaging.click_rib.bar_at_point`)
and what :func:`imaging.vertebra.find_vertebra` answers. Positions LPS mm.
"""

from __future__ import annotations

import time

from imaging.click_rib import bar_at_point
from imaging.load import load_volume
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import VertebraNotFoundError
from tests.benchmarks.pedicle_figures import DATA
from tests.imaging.test_click_rib_realdata import ABDOMEN_NOT_RIBS, ABDOMEN_RIBS, CHEST_NOT_RIBS, CHEST_RIBS

#: rib heads against the bodies between T8 and T9 (chest z -56): no bar is found at them
CHEST_RIB_HEADS = {"right T8-T9 head": (-26.5, 154.5, -56.0), "left T8-T9 head": (22.0, 154.0, -56.0)}


def main() -> None:
    chest = load_volume(DATA / "chest-ct-dicom").volume
    abdomen = load_volume(DATA / "abdomen-pelvis-ct" / "ct.nii.gz").volume
    groups = (
        ("rib", chest, CHEST_RIBS),
        ("rib", abdomen, ABDOMEN_RIBS),
        ("rib head", chest, CHEST_RIB_HEADS),
        ("not a rib", chest, CHEST_NOT_RIBS),
        ("not a rib", abdomen, ABDOMEN_NOT_RIBS),
    )
    for kind, volume, clicks in groups:
        for name, click in clicks.items():
            t0 = time.process_time()
            bar = bar_at_point(volume, click)
            cpu_s = time.process_time() - t0
            found = (
                "no bar"
                if bar is None
                else f"bar {bar.length_mm:.0f} mm, {bar.section_mm2:.0f} mm2, {bar.thickness_mm:.0f} mm thick"
            )
            try:
                anatomy = find_vertebra(volume, click)
                said = f"ACCEPTED body {anatomy.body_volume_ml:.1f} mL"
            except VertebraNotFoundError as exc:
                said = f"{type(exc).__name__}: {exc.reason}"
            print(f"{kind:9s} {name:28s} {click} | {found} ({cpu_s:.2f} s CPU) | {said}", flush=True)


if __name__ == "__main__":
    main()
