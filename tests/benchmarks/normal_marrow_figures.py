"""Study (not run in CI): lesion clicks on normal vertebral-body marrow, accepted or refused.

Run from a checkout::

    PYTHONPATH=. nice -n 5 .venv/bin/python tests/benchmarks/normal_marrow_figures.py [lumbar|abdomen|chest]

For the body centre of every vertebra of lumbar-ct-labels (L2-L4: the centroid of subregion label 50 in
each vertebra's label), abdomen-pelvis-ct (T12-L5: body centroids from the model's labels, labels-model and
vertebral-bodies-model) and chest-ct-dicom (T7-T12 at (-10, 125, z), as
tests/imaging/test_vertebra_pedicles_chest.py), and for points ``OFFSETS_MM`` from it, runs
:func:`imaging.lesion.segment_lesion` as ``osteoplan segment`` does (no box, no reference HU, default
parameters) and prints one line per click: accepted (type, volume mL, reference HU, mean HU, the deep bone
it was found unlike) or refused (seed HU, the HU it was compared with, the refusal's first words). Where
labels exist, an off-centre point outside the body's label is marked ``(off body)``. None of these points is
in a lesion: every acceptance is normal bone read as a lesion. Positions LPS mm. Under a second a click.

Measured (session 32, task E; ``counts`` of the three datasets, 105 clicks, one outside the lumbar crop;
offsets named as in ``OFFSETS_MM``, LPS: x+ is the patient's left):

* main at 0662c75: 19 accepted of 63 on lumbar and abdomen, 2 of 42 on the chest. lumbar-ct-labels
  (1.5 mm, noise about 70 HU, bodies' marrow 43-69 HU) 16 of 20: L3 centre 110.12 mL lytic (reference
  205 HU, deep bone 133 HU), z+4 80.53 mL, y+5 128.80 mL, z-4 5.44 mL; L4 centre 58.47 mL, x+6, x-6,
  y-5 and z+4 2.83-6.23 mL; L2 centre, x+6, x-6, y-5, y+5 1.04-1.62 mL; L2 z-4 (off its label) a 0.00 mL
  blastic. Abdomen (3 mm) 3 of 42: blastic 0.78 and 0.27 mL at L1 y-5 and z+4, lytic 0.11 mL at L4 y-5
  and L5 x-6. Chest (2 x 0.98 mm) 2 of 42: lytic 2.00 mL at T7 x-6, 0.94 mL at T9 z+4.
* with cells of at least two voxels where a voxel is thinner than the cortex
  (:func:`imaging.lesion_deep.cell_factors`) and step 4d before 4c: lumbar 6 of 20. Every L3 click is
  refused (all but x-6 as like the deep bone, now 98-101 HU); newly refused also L2 centre, x-6, y+5 and
  L4 y-5, z+4 (L4 y+5 and z-4 stay refused as soft tissue outside the bone mask). Left:
  L2 x+6 1.04 mL and y-5 1.08 mL, L4 centre 58.47 mL (deep bone 122 HU: the scan's edge cuts L4's body
  open, so none of its marrow is in the sample) and x+6 / x-6 2.86 / 2.83 mL, L2 z-4's 0.00 mL blastic.
  Abdomen and chest: every line the same (their grids keep their cells).
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Iterator

import numpy as np

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError, SegmentationError
from imaging.load import load_volume
from imaging.volume import Volume
from tests.benchmarks.pedicle_figures import DATA
from tests.imaging.real_volumes import (
    abdomen_bodies,
    abdomen_ct,
    abdomen_levels,
    lumbar_ct,
    lumbar_subregions,
    lumbar_vertebrae,
)

Point = tuple[float, float, float]

#: off-centre points: LPS offsets (mm) from the body centre; 6 mm sideways, 5 mm front / back, 4 mm up
#: and down (inside an adult lumbar or lower thoracic body: 35-50 mm wide, 25-35 mm deep, 20-30 mm high)
OFFSETS_MM: dict[str, Point] = {
    "centre": (0.0, 0.0, 0.0),
    "x+6": (6.0, 0.0, 0.0),
    "x-6": (-6.0, 0.0, 0.0),
    "y-5 (front)": (0.0, -5.0, 0.0),
    "y+5 (back)": (0.0, 5.0, 0.0),
    "z+4": (0.0, 0.0, 4.0),
    "z-4": (0.0, 0.0, -4.0),
}
ABDOMEN_CENTRES: dict[str, Point] = {
    "T12": (4.5, -111.0, 416.6),
    "L1": (6.5, -120.9, 386.0),
    "L2": (5.9, -133.0, 351.7),
    "L3": (4.9, -141.3, 315.7),
    "L4": (3.0, -140.0, 278.0),
    "L5": (1.3, -133.9, 242.3),
}
#: abdomen-pelvis-ct's model labels (labels-model.nii.gz)
ABDOMEN_LABELS = {"T12": 32, "L1": 31, "L2": 30, "L3": 29, "L4": 28, "L5": 27}
CHEST_Z = {"T7": -21.5, "T8": -45.0, "T9": -68.5, "T10": -92.0, "T11": -116.0, "T12": -140.0}
LUMBAR_LABELS = {"L2": 21, "L3": 22, "L4": 23}

_DEEP = re.compile(r"deep trabecular bone elsewhere in the region \((-?\d+) HU")


def _inside(volume: Volume, body: np.ndarray | None, point: Point) -> bool | None:
    if body is None:
        return None
    idx = np.rint(volume.lps_to_index_points(np.asarray(point))).astype(int)
    if np.any(idx < 0) or np.any(idx >= np.asarray(body.shape)):
        return False
    return bool(body[tuple(idx)])


def clicks(which: str) -> Iterator[tuple[str, Volume, Point, np.ndarray | None]]:
    """(name, volume, body centre, that body's mask or None) for each vertebra of the dataset."""
    if which == "lumbar":
        volume = lumbar_ct(DATA)
        sub, vert = lumbar_subregions(DATA), lumbar_vertebrae(DATA)
        for name, label in LUMBAR_LABELS.items():
            body = (vert == label) & (sub == 50)
            centre = volume.index_to_lps_points(np.argwhere(body).mean(axis=0))
            yield f"lumbar {name}", volume, (float(centre[0]), float(centre[1]), float(centre[2])), body
    elif which == "abdomen":
        volume = abdomen_ct(DATA)
        levels, bodies = abdomen_levels(DATA), abdomen_bodies(DATA)
        for name, point in ABDOMEN_CENTRES.items():
            yield f"abdomen {name}", volume, point, (levels == ABDOMEN_LABELS[name]) & (bodies == 1)
    elif which == "chest":
        volume = load_volume(DATA / "chest-ct-dicom").volume
        for name, z in CHEST_Z.items():
            yield f"chest {name}", volume, (-10.0, 125.0, z), None
    else:
        raise SystemExit(f"unknown dataset {which!r}: lumbar, abdomen or chest")


def run_one(volume: Volume, point: Point) -> tuple[str, str]:
    """(outcome, details) of one click, as ``osteoplan segment`` runs it."""
    try:
        lesion = segment_lesion(volume, point)
    except NoLesionAtSeedError as exc:
        seed = "?" if exc.seed_hu is None else f"{exc.seed_hu:.0f}"
        ref = "" if exc.reference_bone_hu is None else f" ref {exc.reference_bone_hu:.0f}"
        return "refused", f"seed {seed} HU{ref}: {str(exc)[:110]}"
    except SegmentationError as exc:
        return "error", str(exc)[:120]
    deep = next((m.group(1) for n in lesion.notes if (m := _DEEP.search(n))), None)
    return (
        f"ACCEPTED {lesion.type.value}",
        f"{lesion.volume_ml:.2f} mL, ref {lesion.reference_bone_hu:.0f} HU, mean {lesion.mean_hu:.0f} HU"
        + ("" if deep is None else f", deep bone {deep} HU"),
    )


def main(which: list[str]) -> None:
    counts: Counter[str] = Counter()
    for dataset in which:
        for name, volume, centre, body in clicks(dataset):
            for where, off in OFFSETS_MM.items():
                point = (centre[0] + off[0], centre[1] + off[1], centre[2] + off[2])
                inside = _inside(volume, body, point)
                t0 = time.process_time()
                outcome, details = run_one(volume, point)
                dt = time.process_time() - t0
                mark = " (off body)" if inside is False else ""
                counts[outcome.split()[0]] += 1
                print(
                    f"{name:12s} {where:12s} ({point[0]:.1f}, {point[1]:.1f}, {point[2]:.1f}){mark}: "
                    f"{outcome}, {details} ({dt:.1f} s CPU)",
                    flush=True,
                )
    print("counts:", dict(sorted(counts.items())))


if __name__ == "__main__":
    main(sys.argv[1:] or ["lumbar", "abdomen", "chest"])
