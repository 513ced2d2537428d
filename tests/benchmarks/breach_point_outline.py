"""Where case4's breach points lie against the bone's outline (session 28, QA s28 G2): for each point of
d7633b6 (before tissue outside the bone meant outside its outline) and of this checkout, its distance to
the tissue outside the outline (imaging.bone_outline.bone_outline), to the bone, its HU and whether it
lies inside the outline. Study only, not run in CI; needs ../shared/data.

Usage: PYTHONPATH=. python tests/benchmarks/breach_point_outline.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from scipy import ndimage

from imaging.bone_outline import bone_outline
from imaging.image_files import read_image
from imaging.lesion import segment_lesion
from imaging.lesion_grow import LesionParameters
from imaging.lesion_padding import zero_filled
from imaging.lesion_remeasure import _region, lesion_bone

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bone-lesions"
#: breach points on d7633b6 (tests/benchmarks/breach_point_figures.py), by (csv row, box drawn)
BEFORE = {
    (1, False): [(-60.79, 196.16, -474.73), (-52.79, 180.16, -470.73)],
    (1, True): [(-50.79, 185.16, -469.73)],
    (2, False): [(-58.79, 205.16, -432.73)],
    (2, True): [(-57.79, 204.16, -434.73)],
}


def main() -> None:
    with (DATA / "lesion-boxes.csv").open() as f:
        rows = list(csv.DictReader(f))
    vol = read_image(DATA / "case4.nii.gz")
    p = LesionParameters()
    for (i, boxed), before in BEFORE.items():
        r = rows[i]
        c = [float(r[k]) for k in "xyz"]
        s = [float(r[k]) for k in ("width", "height", "depth")]
        box = ([c[j] - s[j] / 2 for j in range(3)], [c[j] + s[j] / 2 for j in range(3)])
        lesion = segment_lesion(vol, c, box_lps=box if boxed else None)
        roi = _region(vol, lesion.mask, np.asarray(lesion.seed_lps), p)
        hu = vol.array[roi].astype(np.float32)
        outside = zero_filled(hu)
        bone = lesion_bone(hu, vol.spacing_mm, p, outside)
        outline = bone_outline(bone, p.envelope_closing_mm, vol.spacing_mm)
        offset = np.array([q.start for q in roi])
        full = np.zeros(hu.shape, dtype=bool)
        full[tuple((lesion.mask.voxel_indices() - offset).T)] = True
        to_tissue = ndimage.distance_transform_edt(outline | full | outside, sampling=vol.spacing_mm)
        to_bone = ndimage.distance_transform_edt(~(bone & ~full), sampling=vol.spacing_mm)
        print(f"lesion {i} box={boxed}: {lesion.mask.count()} voxels, breach {lesion.cortical_breach}")
        for tag, points in (("before", before), ("now", lesion.cortical_breach_lps)):
            for q in points:
                ix = (
                    np.rint(vol.lps_to_index_points(np.asarray(q, dtype=float)[None])[0]).astype(int) - offset
                )
                t = (int(ix[0]), int(ix[1]), int(ix[2]))
                print(
                    f"  {tag} ({q[0]:.2f}, {q[1]:.2f}, {q[2]:.2f}): tissue outside the outline "
                    f"{to_tissue[t]:.1f} mm, bone {to_bone[t]:.1f} mm, {hu[t]:.0f} HU, inside the outline "
                    f"{bool(outline[t])}"
                )


if __name__ == "__main__":
    main()
