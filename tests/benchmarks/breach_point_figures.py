"""Cortical breach points of the bone-lesions csv lesions and the lytic breakthrough phantom (session 23,
QA s22 D10): for each lesion, the breach points `segment_lesion` gives and the distance from each to the
lesion's nearest voxel centre (0: on a lesion voxel). Run it from another checkout's root to compare
(the data path follows this file).

Usage: PYTHONPATH=. python tests/benchmarks/breach_point_figures.py

Session 28 (QA s28 G2: tissue outside the bone is tissue outside its outline, imaging.lesion_measure.
bone_outline, not low-density marrow inside it), d7633b6 -> after: breach yes/no and the number of points
unchanged for every lesion; both phantoms, case1, case5 and case7 identical, and case4 lesion 1's second
point without its box (-52.79, 180.16, -470.73). Changed, case4 only:
lesion 1 without box (-60.79, 196.16, -474.73) -> (-57.98, 189.68, -479.31);
lesion 1 with box    (-50.79, 185.16, -469.73) -> (-51.27, 185.33, -470.53);
lesion 2 without box (-58.79, 205.16, -432.73) -> (-53.73, 206.48, -433.55);
lesion 2 with box    (-57.79, 204.16, -434.73) -> (-54.36, 206.58, -432.90).
breach_point_outline.py places each against the bone's outline: the old points of lesion 1 without box
and of lesion 2 lay inside it, 3.7-5.2 mm from the tissue outside it (marrow next to the lesion, not the
cortex); the new ones are hole centres (_gap_centre) outside it, 1.0-3.0 mm from the bone.

Session 28 (H2: tissue inside that outline within the cortex's 2 mm of the tissue outside it, along the
tissue, is outside again: the corners the outline rounds, imaging.lesion_measure.outside_tissue), main
4c39ca6 -> after: every line identical but one, case4 lesion 1 without box
(-57.98, 189.68, -479.31) -> (-58.27, 189.60, -479.19), 0.32 mm: the lesion touches 10 more tissue voxels
there, 1.0-1.4 mm inside the outline (70-124 HU, 5-95 %), and the hole's rim takes them in. Under a
voxel; not shown more or less right.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from imaging.image_files import read_image
from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from tests.phantoms.lesion import PhantomLesion, lesion_phantom

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bone-lesions"


def report(name: str, volume, lesion) -> None:  # type: ignore[no-untyped-def]
    pts = volume.index_to_lps_points(lesion.mask.voxel_indices().astype(np.float64))
    for p in lesion.cortical_breach_lps:
        d_lesion = float(np.min(np.linalg.norm(pts - np.asarray(p), axis=1)))
        print(f"{name}: breach ({p[0]:.2f}, {p[1]:.2f}, {p[2]:.2f}) lesion voxel within {d_lesion:.2f} mm")
    if not lesion.cortical_breach_lps:
        print(f"{name}: breach {lesion.cortical_breach}, no point")


def main() -> None:
    for spacing in ((1.0, 1.0, 1.0), (2.0, 0.8, 0.8)):
        ph = lesion_phantom(PhantomLesion.LYTIC_BREAKTHROUGH, spacing_mm=spacing)
        report(f"phantom {spacing}", ph.volume, segment_lesion(ph.volume, ph.seed_lps))
    with (DATA / "lesion-boxes.csv").open() as f:
        rows = list(csv.DictReader(f))
    volumes: dict[str, object] = {}
    for i, r in enumerate(rows):
        path = r["image_path"]
        if path not in volumes:
            volumes[path] = read_image(DATA / path)
        c = [float(r[k]) for k in "xyz"]
        s = [float(r[k]) for k in ("width", "height", "depth")]
        box = ([c[j] - s[j] / 2 for j in range(3)], [c[j] + s[j] / 2 for j in range(3)])
        for boxed in (False, True):
            try:
                lesion = segment_lesion(volumes[path], c, box_lps=box if boxed else None)
            except NoLesionAtSeedError as exc:
                print(f"lesion {i} {path} box={boxed}: refused ({str(exc)[:60]}...)")
                continue
            report(f"lesion {i} {path} box={boxed}", volumes[path], lesion)


if __name__ == "__main__":
    main()
