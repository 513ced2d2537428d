"""Study (not run in CI): lesion seeds in soft tissue outside intact bone (imaging.lesion_outside).

Run from a checkout::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/lesion_outside_figures.py

Soft-tissue points around intact vertebrae of ../shared/data: the abdomen's T12-L5 (3 mm), lumbar-ct-labels'
L2-L4 (1.5 mm, bodies from its labels 49+50) and the chest's T7-T12 (body clicks of s31), walked out from
the body click in the axial plane, every 30 degrees from anterior round to 150 degrees either side (not
straight back: the canal), to the first point d = 3, 5, 7, 10 mm from the region's bone mask
(:func:`imaging.lesion_remeasure.lesion_bone`) after the ray met bone. A point is soft tissue when the
median of the 7x7x7 voxels round it lies in -50..130 HU. Each is given to
:func:`imaging.lesion.segment_lesion`; every accepted one is a false lesion. Then the lesions that must
still be accepted: bone-lesions case4's two lesions and case7's first (box centres) and the lesion
phantom's breakthrough seed, with the share of directions in which bone surrounds each seed
(:func:`imaging.lesion_outside.bone_around_share`).

Prints one line per point (``ACCEPTED`` with the volume, or ``refused`` with the start of the reason), then
the counts per dataset and distance.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from typing import Any

import numpy as np
from scipy import ndimage

from tests.benchmarks.pedicle_figures import DATA

ANGLES = (0, 30, -30, 60, -60, 90, -90, 120, -120, 150, -150)
DISTS = (3.0, 5.0, 7.0, 10.0)


def _vertebrae() -> list[tuple[str, Any, np.ndarray]]:
    from imaging.load import load_volume
    from tests.imaging.real_volumes import abdomen_ct, lumbar_ct, lumbar_subregions, lumbar_vertebrae

    data = DATA
    out: list[tuple[str, Any, np.ndarray]] = []
    ab = abdomen_ct(data)
    clicks = {
        "T12": (4.5, -111.0, 416.6),
        "L1": (6.5, -120.9, 386.0),
        "L2": (5.9, -133.0, 351.7),
        "L3": (4.9, -141.3, 315.7),
        "L4": (3.0, -140.0, 278.0),
        "L5": (1.3, -133.9, 242.3),
    }
    out += [(f"abdomen {n}", ab, np.array(c)) for n, c in clicks.items()]
    lu = lumbar_ct(data)
    sub, vert = lumbar_subregions(data), lumbar_vertebrae(data)
    for name, label in {"L2": 21, "L3": 22, "L4": 23}.items():
        truth = (vert == label) & np.isin(sub, [49, 50])
        out.append((f"lumbar {name}", lu, lu.index_to_lps_points(np.argwhere(truth).mean(axis=0))))
    ch = load_volume(data / "chest-ct-dicom").volume
    chest = {"T7": -21.5, "T8": -45.0, "T9": -68.5, "T10": -92.0, "T11": -116.0, "T12": -140.0}
    out += [(f"chest {n}", ch, np.array((-10.0, 125.0, z))) for n, z in chest.items()]
    return out


def _points(volume: Any, click: np.ndarray) -> list[tuple[int, float, np.ndarray]]:
    from imaging.lesion_grow import LesionParameters
    from imaging.lesion_morph import box_around_index
    from imaging.lesion_padding import zero_filled
    from imaging.lesion_remeasure import lesion_bone
    from imaging.lesion_seed import seed_voxel

    p = LesionParameters()
    roi = box_around_index(seed_voxel(volume, click), p.roi_size_mm / 2, volume.spacing_mm, volume.shape)
    off = np.array([s.start for s in roi], dtype=float)
    hu = volume.array[roi].astype(np.float32)
    bone = lesion_bone(hu, volume.spacing_mm, p, zero_filled(hu))
    edt = ndimage.distance_transform_edt(~bone, sampling=volume.spacing_mm)
    out = []
    for a in ANGLES:
        t = math.radians(a)
        direction = np.array([math.sin(t), -math.cos(t), 0.0])
        got: set[float] = set()
        entered = False
        for s in np.arange(0.0, 60.0, 0.25):
            q = click + s * direction
            k = np.rint(volume.lps_to_index_points(q) - off).astype(int)
            if np.any(k < 0) or np.any(k >= hu.shape):
                break
            entered = entered or bool(bone[tuple(k)])
            if not entered:
                continue
            for d in DISTS:
                if d not in got and edt[tuple(k)] >= d:
                    got.add(d)
                    out.append((a, d, q))
            if len(got) == len(DISTS):
                break
    return out


def _seed_share(volume: Any, seed: np.ndarray) -> float:
    from imaging.lesion_grow import LesionParameters
    from imaging.lesion_morph import box_around_index
    from imaging.lesion_outside import bone_around_share
    from imaging.lesion_padding import zero_filled
    from imaging.lesion_remeasure import lesion_bone
    from imaging.lesion_seed import seed_voxel

    p = LesionParameters()
    at = seed_voxel(volume, seed)
    roi = box_around_index(at, p.roi_size_mm / 2, volume.spacing_mm, volume.shape)
    hu = volume.array[roi].astype(np.float32)
    bone = lesion_bone(hu, volume.spacing_mm, p, zero_filled(hu))
    local = at - np.array([s.start for s in roi], dtype=float)
    return bone_around_share(bone, local, volume.spacing_mm, p.seed_bone_search_mm)


def _run(volume: Any, seed: np.ndarray) -> tuple[bool, str]:
    from imaging.lesion import segment_lesion
    from imaging.lesion_errors import NoLesionAtSeedError

    try:
        les = segment_lesion(volume, seed)
    except NoLesionAtSeedError as exc:
        return False, "refused: " + str(exc)[:70]
    return True, f"ACCEPTED {les.type.value} {les.volume_ml:.2f} mL breach={les.cortical_breach}"


def main() -> None:
    from tests.imaging.test_lesion_realdata import _load
    from tests.phantoms.lesion import PhantomLesion, lesion_phantom

    counts: Counter[str] = Counter()
    for name, volume, click in _vertebrae():
        for a, d, q in _points(volume, click):
            k = np.rint(volume.lps_to_index_points(q)).astype(int)
            med = float(np.median(volume.array[tuple(slice(max(0, x - 3), x + 4) for x in k)]))
            if not -50.0 <= med <= 130.0:
                continue
            ok, words = _run(volume, q)
            ds = name.split()[0]
            counts[f"{ds} d={d:g} points"] += 1
            counts[f"{ds} d={d:g} accepted"] += ok
            counts["all points"] += 1
            counts["all accepted"] += ok
            print(
                f"{name} a={a:+d} d={d:g} ({q[0]:.1f}, {q[1]:.1f}, {q[2]:.1f}) ~{med:.0f} HU {words}",
                flush=True,
            )
    folder = DATA / "bone-lesions"
    with (folder / "lesion-boxes.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    must = [(f"bone-lesions row {i} ({rows[i]['image_path']})", i) for i in (1, 2, 4)]
    for label, i in must:
        volume = _load(str(folder / rows[i]["image_path"]))
        seed = np.array([float(rows[i][k]) for k in "xyz"])
        ok, words = _run(volume, seed)
        print(f"MUST {label}: share {_seed_share(volume, seed):.2f} {words}", flush=True)
    ph = lesion_phantom(PhantomLesion.LYTIC_BREAKTHROUGH, seed=2)
    seed = np.asarray(ph.seed_lps)
    ok, words = _run(ph.volume, seed)
    print(f"MUST lesion phantom breakthrough seed: share {_seed_share(ph.volume, seed):.2f} {words}")
    for key in sorted(counts):
        print(f"{key}: {counts[key]}")


if __name__ == "__main__":
    main()
