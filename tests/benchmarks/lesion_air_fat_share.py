"""Study (not run in CI): how much of a lesion mask reads as air or fat, for the Lesions dock's warning.

QA s31 C13: one 50 mm 3D-sphere dab at T9 of the sample case put 523 mL of lung and mediastinum into a
lesion with no word. The dock now warns when :data:`app.segmentation.lesion_warnings.AIR_FAT_WARN_SHARE`
(20 %) or more of a lesion's voxels read below the lesion tool's air-or-fat limit
(``LesionParameters.fat_limit_hu``, -50 HU; raw voxel values). This prints that share for

* every lesion of ../shared/data/bone-lesions segmented from its box centre, without and with its box
  (the real lesions a click finds; each also grown by 2 mm, an ordinary edit), and
* spheres of 3-50 mm at T9's body centre of the sample case, a 5 mm sphere grown by 2-30 mm, and the 3 mm
  disc stroke of tests/app/test_drawn_lesion_breach_sample.py.

Run from the checkout root (about a minute):

    PYTHONPATH=. nice -n 5 /work/main/.venv/bin/python tests/benchmarks/lesion_air_fat_share.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imaging import mask_brush
from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters
from imaging.load import load_volume
from imaging.mask import Mask
from imaging.mask_edit import PlaneAxis, grow_shrink
from imaging.volume import Volume
from tests.imaging.test_lesion_realdata import _case

ROOT = Path(__file__).resolve().parents[2]
LESIONS = ROOT.parent / "shared" / "data" / "bone-lesions"
LIMIT_HU = LesionParameters().fat_limit_hu
T9 = np.array([-10.0, 125.0, -68.5])
ALONG_X = np.array([4.0, 0.0, 0.0])  # the stroke's half length


def share(volume: Volume, mask: Mask) -> str:
    """The part of ``mask`` below the air-or-fat limit: mL, of how many mL, %."""
    values = volume.array[mask.slices][mask.array]
    dark = int(np.count_nonzero(values < LIMIT_HU))
    ml = volume.voxel_volume_ml
    return f"{dark * ml:.3f} of {values.size * ml:.2f} mL = {100 * dark / values.size:.1f} %"


def real_lesions() -> None:
    for row in range(7):
        volume, centre, size = _case(LESIONS, row)
        for boxed in (False, True):
            box = (centre - size / 2, centre + size / 2) if boxed else None
            try:
                lesion = segment_lesion(volume, centre, box_lps=box)
            except NoLesionAtSeedError:
                print(f"bone-lesions row {row} box {boxed}: refused")
                continue
            grown = grow_shrink(lesion.mask, volume, 2.0).mask
            print(
                f"bone-lesions row {row} box {boxed}: {lesion.type.value}: {share(volume, lesion.mask)}; "
                f"grown 2 mm: {share(volume, grown)}"
            )


def sample_case() -> None:
    loaded = load_volume(ROOT / "resources" / "sample_case")
    volume: Volume = getattr(loaded, "volume", loaded)
    empty = Mask.empty(volume.shape)
    for r in (3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0):
        sphere = mask_brush.paint_sphere(empty, volume, T9, r).mask
        print(f"sample T9 sphere r {r:g} mm: {share(volume, sphere)}")
    small = mask_brush.paint_sphere(empty, volume, T9, 5.0).mask
    for g in (2.0, 5.0, 10.0, 30.0):
        print(f"sample T9 sphere r 5 mm grown {g:g} mm: {share(volume, grow_shrink(small, volume, g).mask)}")
    stroke = mask_brush.paint_disc(
        empty, volume, T9 - ALONG_X, 3.0, PlaneAxis.SLICE, end_lps=T9 + ALONG_X
    ).mask
    print(f"sample T9 disc r 3 mm stroke 8 mm: {share(volume, stroke)}")


if __name__ == "__main__":
    print(f"air or fat: below {LIMIT_HU:g} HU (raw voxel values)")
    real_lesions()
    sample_case()
