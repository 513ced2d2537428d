"""Lesion segmentation on real CT patches of bone metastases (../shared/data/bone-lesions).

For every lesion in ``lesion-boxes.csv`` (box centre and size in LPS mm), a seed at the box centre must
give a lesion whose centroid lies inside the box and at least half of whose voxels lie inside the box
grown by 5 mm, with the type the images show. The NIfTI files are read with SimpleITK, which reports
LPS physical points (origin, spacing, direction), mapped to a Volume with ``affine_from_geometry``.

Types expected, from looking at the images (not from the algorithm): case1 (lumbar body) and case5
(rib) sclerotic, as the data README says; both case4 lesions (ilium/acetabulum roof) are areas of
soft-tissue density (seed about 50-60 HU) where the marrow and the cortex are destroyed: lytic; the
first case7 lesion is a destroyed, mottled lower cervical body, mostly soft-tissue density with
sclerotic islands: lytic or mixed. The second case7 lesion is an upper thoracic body with patchy
sclerotic foci (up to about 600 HU against about 275 HU in the vertebrae around it) between
normal-looking bone: blastic or mixed. Its box centre (286 HU) lies within 88 HU of normal bone, so it is
found by its texture (imaging.lesion_texture).

The third case7 lesion (row 6), looked at in axial, sagittal and coronal slices through its box (bone
window, box drawn): the box centre lies on slice 0.3, the lower edge of the volume, so only the upper
9 mm of its 17 mm box is in the patch (the zero-filled slab is at the other, upper end, slices 54-95,
and does not reach this lesion's region). In the anterior-central vertebral body, 4-7 mm below the upper
end plate, slices 0-5 show a round lesion about 10 mm across: a lucent core (about 8 x 5 x 4 mm, 100-160
HU after 0.6 mm smoothing) inside a sclerotic rim about 2 mm thick (330-410 HU); on slice 0 it is
mottled (spots up to 400 HU). The same body around it is about 255 HU (bone interior 7-15 mm from the
ring's centre). A lucent core with a sclerotic rim: mixed. The lesion probably continues below the
patch (the box is centred on its edge). Why it is refused (measured, see the xfail's reason): its core
lies 100-125 HU below the bone around and its rim 75-135 HU above, both at the 88 HU threshold, and the
box centre lies between them, 2 mm below the core.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_model import LesionType
from imaging.lesion_padding import zero_filled
from imaging.volume import Volume, affine_from_geometry

B, L, M = LesionType.BLASTIC, LesionType.LYTIC, LesionType.MIXED
SMALL_FOCUS = pytest.mark.xfail(
    raises=NoLesionAtSeedError,
    strict=True,
    reason="box centre 2 mm below the lucent core of a ~10 mm core-and-rim lesion cut by the volume's edge: "
    "its seed ball (truncated to slices 0-2) has median 216 HU against 257 HU of bone around (within 88 HU); "
    "at the 2 mm texture scale core and rim average to 240-300 HU (abnormal fraction 0.00), at 1 mm normal "
    "bone here is as heterogeneous (median fraction 0.24 vs 0.13 at the seed); even a seed in the core "
    "(median 170 HU) is 87 HU below the reference, 1 HU short of the 88 HU threshold",
)
# (row in lesion-boxes.csv, types accepted)
CASES = [
    pytest.param(0, {B}, id="case1-lumbar-sclerotic"),
    pytest.param(1, {L}, id="case4-lesion1"),
    pytest.param(2, {L}, id="case4-lesion2"),
    pytest.param(3, {B}, id="case5-rib-sclerotic"),
    pytest.param(4, {L, M}, id="case7-lesion1"),
    pytest.param(5, {B, M}, id="case7-lesion2"),
    pytest.param(6, {M}, id="case7-lesion3", marks=SMALL_FOCUS),
]


@cache
def _load(path: str) -> Volume:
    image = sitk.ReadImage(path)
    direction = np.asarray(image.GetDirection(), dtype=np.float64).reshape(3, 3)
    spacing_xyz = image.GetSpacing()
    affine = affine_from_geometry(image.GetOrigin(), spacing_xyz[::-1], direction)
    return Volume(sitk.GetArrayFromImage(image), affine)


def _rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "lesion-boxes.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.realdata
def test_nifti_affine_maps_to_sitk_lps(shared_data: Path) -> None:
    path = shared_data / "bone-lesions" / "case1.nii.gz"
    volume = _load(str(path))
    image = sitk.ReadImage(str(path))
    for ijk in [(0, 0, 0), (10, 20, 30), (95, 3, 50)]:  # (x, y, z) = (col, row, slice)
        expected = image.TransformIndexToPhysicalPoint(ijk)
        got = volume.index_to_lps_points([ijk[2], ijk[1], ijk[0]])
        assert np.allclose(got, expected, atol=1e-6)


@pytest.mark.realdata
@pytest.mark.parametrize(("row", "types"), CASES)
def test_real_lesion_from_box_centre(shared_data: Path, row: int, types: set[LesionType]) -> None:
    folder = shared_data / "bone-lesions"
    r = _rows(folder)[row]
    volume = _load(str(folder / r["image_path"]))
    centre = np.array([float(r["x"]), float(r["y"]), float(r["z"])])
    size = np.array([float(r["width"]), float(r["height"]), float(r["depth"])])
    lesion = segment_lesion(volume, centre)
    assert np.all(np.abs(np.asarray(lesion.centroid_lps) - centre) <= size / 2.0)
    pts = volume.index_to_lps_points(lesion.mask.voxel_indices())
    inside = np.all(np.abs(pts - centre) <= size / 2.0 + 5.0, axis=1)
    assert inside.mean() >= 0.5
    assert lesion.type in types
    # the reference is normal trabecular bone, not lesion, cortex or soft tissue (CLINICAL.md range)
    assert 89.0 - 2 * 38.0 <= lesion.reference_bone_hu <= 400.0


@pytest.mark.realdata
def test_case7_lesion_stays_out_of_the_zero_filled_slab(shared_data: Path) -> None:
    # the first case7 lesion's growth limit (16 mm) reaches the slab where the crop left the scan (0 HU,
    # water-like): none of it may be lesion (before imaging.lesion_padding, 818 of its voxels were)
    folder = shared_data / "bone-lesions"
    r = _rows(folder)[4]
    volume = _load(str(folder / r["image_path"]))
    slab = zero_filled(volume.array)
    assert np.count_nonzero(slab) > 0.4 * slab.size  # slices 54-95 of 96
    lesion = segment_lesion(volume, (float(r["x"]), float(r["y"]), float(r["z"])))
    assert not (lesion.mask.to_full() & slab).any()
    assert any("edge of the scan" in n for n in lesion.notes)
