"""Do the two ways the real-data tests read lumbar-ct-labels and the abdomen give the same volume?

Until session 29 tests/imaging/test_vertebra_realdata.py read them with SimpleITK directly (``sitk.ReadImage``
and ``affine_from_geometry``), while tests/imaging/endplate_cases.py and the ``abdomen`` fixture of
tests/imaging/conftest.py read them through the program's own readers (``imaging.load.load_volume`` for the
CTs, ``imaging.image_files.read_image`` for the label maps): a full run read each file twice. Before they
share one loader (tests/imaging/real_volumes.py), this prints, per file, the arrays' dtypes, the largest
absolute difference of their values and the largest difference of their 4x4 affines; with ``find``, it
also finds the abdomen's six bodies (the one CT whose dtype differs: int32 read directly, int16 through
load_volume) from their model bodies' centroids on both and prints the largest difference of any figure.

Run: ``PYTHONPATH=. /work/main/.venv/bin/python tests/benchmarks/real_volume_routes.py [find]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from imaging.image_files import read_image
from imaging.load import load_volume
from imaging.volume import Volume, affine_from_geometry

DATA = Path("/work/shared/data")
#: (file, whether the program reads it as a CT through load_volume; label maps through read_image)
FILES = (
    ("lumbar-ct-labels/sub-ct_label-22_ct.nii.gz", True),
    ("lumbar-ct-labels/sub-ct_seg-subreg_label-22_msk.nii.gz", False),
    ("lumbar-ct-labels/sub-ct_seg-vert_label-22_msk.nii.gz", False),
    ("abdomen-pelvis-ct/ct.nii.gz", True),
    ("abdomen-pelvis-ct/labels-model.nii.gz", False),
    ("abdomen-pelvis-ct/vertebral-bodies-model.nii.gz", False),
)


def sitk_route(path: Path) -> Volume:
    """test_vertebra_realdata's reader as it was (session 28)."""
    image = sitk.ReadImage(str(path))
    matrix = affine_from_geometry(
        image.GetOrigin(), image.GetSpacing()[::-1], np.array(image.GetDirection()).reshape(3, 3)
    )
    return Volume(sitk.GetArrayFromImage(image), matrix)


def program_route(path: Path, ct: bool) -> Volume:
    """endplate_cases' and conftest's reader: the program's own."""
    return load_volume(path).volume if ct else read_image(path)


def main() -> None:
    for name, ct in FILES:
        path = DATA / name
        t0 = time.perf_counter()
        a = sitk_route(path)
        t1 = time.perf_counter()
        b = program_route(path, ct)
        t2 = time.perf_counter()
        same_shape = a.array.shape == b.array.shape
        diff = (
            float(np.max(np.abs(a.array.astype(np.float64) - b.array.astype(np.float64))))
            if same_shape
            else float("nan")
        )
        affine = float(np.max(np.abs(a.index_to_lps - b.index_to_lps)))
        print(
            f"{name}: shape {a.array.shape} / {b.array.shape}, dtype {a.array.dtype} / {b.array.dtype}, "
            f"max |array diff| {diff:g}, max |affine diff| {affine:.3g} mm, "
            f"read {t1 - t0:.2f} s / {t2 - t1:.2f} s"
        )


def compare_finds() -> None:
    """find_vertebra on the abdomen read both ways, from the clicks test_vertebra_realdata uses."""
    from scipy import ndimage

    from imaging.vertebra import find_vertebra
    from tests.imaging.test_vertebra_realdata import ABDOMEN, model_body

    folder = DATA / "abdomen-pelvis-ct"
    direct, program = sitk_route(folder / "ct.nii.gz"), program_route(folder / "ct.nii.gz", True)
    levels = sitk_route(folder / "labels-model.nii.gz").array
    bodies, _ = ndimage.label(sitk_route(folder / "vertebral-bodies-model.nii.gz").array == 1)
    for level, label in ABDOMEN.items():
        click = direct.index_to_lps_points(np.argwhere(model_body(levels, bodies, label)).mean(axis=0))
        a, b = find_vertebra(direct, click), find_vertebra(program, click)
        masks = all(
            np.array_equal(x.to_full(), y.to_full())
            for x, y in ((a.body, b.body), (a.canal, b.canal), (a.posterior_wall, b.posterior_wall))
        )
        figures = [
            np.subtract(a.body_centroid_lps, b.body_centroid_lps),
            np.subtract(a.canal_centroid_lps, b.canal_centroid_lps),
            [a.body_height_mm - b.body_height_mm, a.canal_area_mm2 - b.canal_area_mm2],
        ]
        same_sides = set(a.pedicles) == set(b.pedicles)
        if same_sides:
            for side, ped in a.pedicles.items():
                other = b.pedicles[side]
                figures.append(np.subtract(ped.axis_entry_lps, other.axis_entry_lps))
                figures.append(np.subtract(ped.axis_target_lps, other.axis_target_lps))
                figures.append([ped.min_width_mm - other.min_width_mm])
        same_planes = set(a.endplate_planes) == set(b.endplate_planes)
        if same_planes:
            for name, plane in a.endplate_planes.items():
                figures.append(np.subtract(plane.normal_lps, b.endplate_planes[name].normal_lps))
                figures.append(np.subtract(plane.center_lps, b.endplate_planes[name].center_lps))
                other_plane = b.endplate_planes[name]
                figures.append([plane.sagittal_tilt_deg - other_plane.sagittal_tilt_deg])
                figures.append([plane.coronal_tilt_deg - other_plane.coronal_tilt_deg])
        worst = max(float(np.max(np.abs(f))) for f in figures)
        print(
            f"abdomen {level}: masks equal {masks}, pedicle sides equal {same_sides}, plates equal "
            f"{same_planes}, notes equal {a.notes == b.notes}, largest figure difference {worst:g}"
        )


if __name__ == "__main__":
    main()
    if "find" in sys.argv[1:]:
        compare_finds()
