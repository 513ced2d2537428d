"""Study (not run in CI): what a click on a lamina, or in the soft tissue around the spine, is told.

Run from a checkout (both groups, or one)::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/lamina_soft_click_figures.py [lamina|soft]

- ``lamina``: for each body of tests/benchmarks/pedicle_figures.py on the abdomen (3 mm, L1-L5), the
  lumbar crop (1.5 mm, L2-L4) and the chest (2 mm, T7-T11), found from its centre click, the densest point
  of the axial plane through the canal's centroid that lies 4-14 mm to the left or right of the canal's
  centre and 5-25 mm behind it (a lamina: the arch's plate between the pedicle and the spinous process;
  the densest point, as session 25's QA picked its abdomen L3 lamina click (16.0, -107.3, 322.3)), and that
  QA click itself. On the lumbar crop the subregion label at the point is printed (41 arch / pedicle, 42
  spinous process, 43/44 transverse processes, 45-48 facets).
- ``soft``: clicks in the soft tissue around the abdomen's L2-L4 (in front of the body, aorta, psoas, back
  muscle, bowel, a kidney) and the lumbar crop's L3 (in front, psoas, back muscle), each with what it reads.

Prints one line per click: the click, its median HU, then ``OK`` with the body's volume, or the refusal's
class and words. Positions LPS mm.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from tests.benchmarks.pedicle_figures import DATA, _sitk_volume, cases

#: the lamina is looked for this far beside the canal's centre (mm, either side) and behind it (mm)
LAMINA_ASIDE_MM = (4.0, 14.0)
LAMINA_BEHIND_MM = (5.0, 25.0)
#: session 25's QA click on the abdomen's L3 lamina (/work/tasks/s25_E_findings.md, E8)
QA_LAMINA = (16.0, -107.3, 322.3)
#: soft-tissue clicks: the abdomen at its L2, L3 and L4 body clicks' heights, then the lumbar crop's L3
ABDOMEN_SOFT = {
    "L3 in front (QA E9)": (4.9, -175.0, 315.7),
    "L3 aorta": (22.0, -172.0, 315.7),
    "L3 left psoas": (45.0, -140.0, 315.7),
    "L3 right psoas": (-40.0, -140.0, 315.7),
    "L3 back muscle": (35.0, -85.0, 315.7),
    "L3 bowel": (-60.0, -205.0, 315.7),
    "L3 right kidney": (-85.0, -150.0, 315.7),
    "L2 in front": (5.9, -168.0, 351.7),
    "L4 in front": (3.0, -172.0, 278.0),
}


def _lamina_clicks() -> Iterator[tuple[str, Any, np.ndarray, str]]:
    from imaging.vertebra import find_vertebra
    from imaging.vertebra_errors import VertebraNotFoundError
    from imaging.vertebra_roi import sample_source_hu

    sub = _sitk_volume(DATA / "lumbar-ct-labels" / "sub-ct_seg-subreg_label-22_msk.nii.gz")
    for name, volume, click in cases():
        if name.split()[0] not in ("abdomen", "lumbar", "chest") or name == "chest T12":
            continue
        try:
            canal = np.asarray(find_vertebra(volume, click).canal_centroid_lps)
        except VertebraNotFoundError:
            continue
        for side, sign in (("left", 1.0), ("right", -1.0)):
            xs = canal[0] + sign * np.arange(LAMINA_ASIDE_MM[0], LAMINA_ASIDE_MM[1] + 0.01, 0.5)
            ys = canal[1] + np.arange(LAMINA_BEHIND_MM[0], LAMINA_BEHIND_MM[1] + 0.01, 0.5)
            grid = np.array([(x, y, canal[2]) for x in xs for y in ys])
            point = grid[int(np.argmax(sample_source_hu(volume, grid)))]
            label = ""
            if name.startswith("lumbar"):
                at = np.rint(sub.lps_to_index_points(point)).astype(int)
                label = f" label {int(sub.array[tuple(at)])}"
            yield f"{name} {side} lamina", volume, np.round(point, 1), label
        if name == "abdomen L3":
            yield "abdomen L3 QA lamina", volume, np.array(QA_LAMINA), ""


def _soft_clicks() -> Iterator[tuple[str, Any, np.ndarray, str]]:
    abdomen = _sitk_volume(DATA / "abdomen-pelvis-ct" / "ct.nii.gz")
    for name, click in ABDOMEN_SOFT.items():
        yield f"abdomen {name}", abdomen, np.array(click), ""
    (_, lumbar, l3), *_ = cases("lumbar L3")
    for name, offset in (("in front", (0.0, -20.0, 0.0)), ("left psoas", (35.0, -5.0, 0.0))):
        yield f"lumbar L3 {name}", lumbar, np.round(l3 + np.array(offset), 1), ""
    yield "lumbar L3 back muscle", lumbar, np.round(l3 + np.array((25.0, 55.0, 0.0)), 1), ""


def main(which: str) -> None:
    from imaging.click_tissue import click_tissue
    from imaging.vertebra import find_vertebra
    from imaging.vertebra_errors import VertebraNotFoundError

    groups = {"lamina": _lamina_clicks, "soft": _soft_clicks}
    for group in [which] if which else list(groups):
        for name, volume, click, label in groups[group]():
            hu = click_tissue(volume, click).median_hu
            try:
                said = f"OK body {find_vertebra(volume, click).body_volume_ml:.1f} mL"
            except VertebraNotFoundError as exc:
                said = f"{type(exc).__name__}: {exc.reason}"
            where = tuple(float(v) for v in click)
            print(f"{name} {where} {hu:.0f} HU{label} | {said}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
