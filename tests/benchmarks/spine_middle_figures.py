"""Study (not run in CI): how far the spinal canal lies from the trunk's middle (imaging.spine_middle).

Run from a checkout::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/spine_middle_figures.py

For each body click of tests/benchmarks/pedicle_figures.py (abdomen, lumbar crop, chest, bone-lesions
case1 and case7): the canal's centroid of the vertebra found there (:func:`imaging.vertebra.find_vertebra`),
the trunk's middle at its height (:func:`imaging.spine_middle.trunk_middle_x`, or "cut" where the scan's
sides cut the trunk), the canal's distance from it side to side, and the CPU time of the middle. Then the
refused clicks of the wording studies that lie off the spine, and how far they lie from the middle.
Positions LPS mm.
"""

from __future__ import annotations

import time

from imaging.load import load_volume
from imaging.spine_middle import OFF_SPINE_ASIDE_MM, trunk_middle_x
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import VertebraNotFoundError
from tests.benchmarks.pedicle_figures import DATA, cases
from tests.imaging.test_click_rib_realdata import CHEST_NOT_RIBS, CHEST_RIBS

#: refused clicks (tests/benchmarks/rib_click_figures.py) that lie on ribs or the scapula, and the rib
#: heads and transverse-process tips, whose distance from the trunk's middle is printed
CHEST_POINTS = {
    **{f"rib {k}": v for k, v in CHEST_RIBS.items()},
    **{k: v for k, v in CHEST_NOT_RIBS.items() if "scapula" in k or "transverse" in k},
    "right T8-T9 rib head": (-26.5, 154.5, -56.0),
    "left T8-T9 rib head": (22.0, 154.0, -56.0),
    "T8 left TP tip at rib": (28.0, 162.0, -40.0),
    "T11 right TP tip at rib": (-36.0, 158.0, -116.0),
}


def main() -> None:
    worst = 0.0
    for name, volume, click in cases():
        try:
            canal = find_vertebra(volume, click).canal_centroid_lps
        except VertebraNotFoundError as exc:
            print(f"{name:28s} refused: {exc.reason[:80]}")
            continue
        t0 = time.process_time()
        middle = trunk_middle_x(volume, canal[2])
        cpu = time.process_time() - t0
        if middle is None:
            print(f"{name:28s} canal x {canal[0]:7.1f} | trunk cut by the scan's sides ({cpu:.2f} s)")
            continue
        worst = max(worst, abs(canal[0] - middle))
        aside = canal[0] - middle
        print(f"{name:28s} canal x {canal[0]:7.1f} | middle {middle:7.1f} | aside {aside:6.1f} ({cpu:.2f} s)")
    print(f"largest canal distance from the middle: {worst:.1f} mm")
    chest = load_volume(DATA / "chest-ct-dicom").volume
    for name, point in CHEST_POINTS.items():
        middle = trunk_middle_x(chest, point[2])
        aside = "cut" if middle is None else f"{point[0] - middle:6.1f}"
        off = "" if middle is None or abs(point[0] - middle) <= OFF_SPINE_ASIDE_MM else " OFF THE SPINE"
        print(f"chest {name:30s} {point} | aside {aside}{off}")


if __name__ == "__main__":
    main()
