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

Tried next (issue 4, second attempt), measured with ``tests/benchmarks/bench_lesion_blob.py`` against
normal bone (bone interior outside every box grown by 5 mm) of the same patch and of the other three:
a multi-scale blob response (difference of Gaussians normalised within the bone interior, sigma 1, 1.5,
2, 3 mm, surround 1.6 or 2 sigma) searched within 5 mm of the box centre. Its strongest dark-centre
response is 58 / 47 / 30 / 6 HU (k = 1.6), at the 97th / 94th / 86th / 63rd percentile of normal bone in
case7 (99th percentile 71-76 HU); with k = 2, 83 HU at sigma 1 mm (96.6th; 99th: 109 HU). Normal bone's
trabecular texture at these scales is as strong, in all four patches (99th percentiles 37-115 HU), and
a 5 mm search around a normal-bone seed reaches beyond its patch's 1st or 99th percentile for 13-58% of
seeds: the response does not separate this lesion from normal bone. The other cue from the images, a
compact lucent focus enclosed by denser bone: the core is a component of 81 voxels more than 88 HU below
the deep bone (296 HU) at the fine scale, 98 HU below its 2 mm shell, while normal bone in case7 holds 18
such components of 20 voxels or more, up to 2985 voxels, shell contrast median 132 HU (up to 261 HU):
it does not separate either. Tried in session 5 (the same script): a ring score (rim shell at 3-6 mm
in 14 sectors against the core ball and the bone beyond, closed in all but two directions, the ring
enclosed in bone): 83 HU at 1.4 mm from the seed, above every normal-bone seed of its own patch (case7
max 44 HU, case1 37, case5 -18), but the pelvis of case4 reaches 115 HU in normal bone (99th
percentile 64), and 83 HU is short of the 88 HU abnormal_delta_hu, so any threshold that took this
lesion would be set by it. The lesion stays a strict xfail.

With the operator's box (issue 4: "optionally within a box the operator draws"; imaging.lesion step 8),
every lesion is run again with the dataset's box as the box drawn: the same criteria, the lesion inside
the box. The box does not change what is refused: each normal-bone seed with a 15 or 20 mm box around it
must still be refused. The third case7 lesion stays a strict xfail with its box too (its reason gives
the figures; tests/benchmarks/bench_lesion_box.py measures the search of the box that was not adopted).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters
from imaging.lesion_model import LesionType
from imaging.lesion_padding import zero_filled
from imaging.lesion_remeasure import measure_lesion_mask
from imaging.volume import Volume, affine_from_geometry

B, L, M = LesionType.BLASTIC, LesionType.LYTIC, LesionType.MIXED
SMALL_FOCUS = pytest.mark.xfail(
    raises=NoLesionAtSeedError,
    strict=True,
    reason="box centre 2 mm below the lucent core of a ~10 mm core-and-rim lesion cut by the volume's edge: "
    "the seed stands for its voxel on slice 0 (the centre is at slice 0.31, imaging.lesion_seed): its ball, "
    "truncated to slices 0-2, has median 259 HU, within 88 HU of the shell around the region like it (312 "
    "HU), and its neighbourhood is not heterogeneous (abnormal fraction 0.00 at the 2 mm texture scale), so "
    "it is refused as normal bone; from the fractional seed (before the seed's voxel) the ball had median "
    "216 HU, 110 HU below the first shell (325 HU) but within 88 HU of the deep trabecular bone elsewhere in "
    "the patch (266 HU), refused as low-density normal bone (imaging.lesion_deep); "
    "at the 2 mm texture scale core and rim average to 240-300 HU (abnormal fraction 0.00), at 1 mm normal "
    "bone here is as heterogeneous (median fraction 0.24 vs 0.13 at the seed); even a seed in the core "
    "(median 170 HU) is 87 HU below the reference, 1 HU short of the 88 HU threshold; its structure does not "
    "stand out either (bench_lesion_blob.py): its strongest blob response within 5 mm (DoG, sigma 1-3 mm) "
    "is at the 58th-97th percentile of normal bone in the patch, never beyond the 99th, and its lucent core "
    "(81 voxels, 98 HU below its 2 mm shell) is smaller and less contrasted than normal bone's lucent foci; "
    "its ring score (83 HU) tops its own patch's normal bone (max 44 HU) but not case4's pelvis (max 115 HU) "
    "and is under the 88 HU delta",
)
# the same lesion with the dataset's box as the operator's box (imaging.lesion step 8), measured
SMALL_FOCUS_IN_BOX = pytest.mark.xfail(
    raises=NoLesionAtSeedError,
    strict=True,
    reason="the box only limits where the lesion may be (imaging.lesion_box): the seed is judged as without "
    "it and refused the same way (see SMALL_FOCUS); "
    "the box does not reconsider a refused seed: the box's most abnormal 2 mm ball lies on the dense bone "
    "4.6 mm from the seed (+183 HU, grows a 0.05 mL sclerotic patch), and that search breaks three of the "
    "six other lesions and finds a lesion in nine of eleven normal-bone boxes "
    "(tests/benchmarks/bench_lesion_box.py)",
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


def _centre_size(r: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """A lesion-boxes.csv row's box: centre and size (x, y, z), LPS mm."""
    centre = np.array([float(r["x"]), float(r["y"]), float(r["z"])])
    size = np.array([float(r["width"]), float(r["height"]), float(r["depth"])])
    return centre, size


def _case(folder: Path, row: int) -> tuple[Volume, np.ndarray, np.ndarray]:
    """The patch of lesion-boxes.csv row ``row`` and that row's box centre and size (LPS mm)."""
    r = _rows(folder)[row]
    return (_load(str(folder / r["image_path"])), *_centre_size(r))


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
    volume, centre, size = _case(folder, row)
    lesion = segment_lesion(volume, centre)
    assert np.all(np.abs(np.asarray(lesion.centroid_lps) - centre) <= size / 2.0)
    pts = volume.index_to_lps_points(lesion.mask.voxel_indices())
    inside = np.all(np.abs(pts - centre) <= size / 2.0 + 5.0, axis=1)
    assert inside.mean() >= 0.5
    assert lesion.type in types
    # the reference is normal trabecular bone, not lesion, cortex or soft tissue (CLINICAL.md range)
    assert 89.0 - 2 * 38.0 <= lesion.reference_bone_hu <= 400.0
    # the mask measured again as an edited one is (imaging.lesion_remeasure) gives the same figures
    again = measure_lesion_mask(
        volume,
        lesion.mask,
        lesion_type=lesion.type,
        reference_bone_hu=lesion.reference_bone_hu,
        seed_lps=centre,
    )
    assert (again.volume_ml, again.max_diameter_mm, again.mean_hu, again.percentiles_hu) == (
        lesion.volume_ml,
        lesion.max_diameter_mm,
        lesion.mean_hu,
        lesion.percentiles_hu,
    )
    assert (again.cortical_breach, again.cortical_breach_lps) == (
        lesion.cortical_breach,
        lesion.cortical_breach_lps,
    )


# the sclerotic lesions (README: case1 lumbar body, case5 rib). Session 15 QA item 5, looked at in axial,
# sagittal, coronal and endplate-parallel slices through case1's box (bone window, box and mask drawn):
# the box holds a focus of about 400 HU (1 mm smoothing: 350-455 HU against 150-270 HU in the mirror-image
# place on the right) in the posterior-left of the body, under the superior end plate and just in front of
# the posterior wall where the left pedicle joins it. The mask grown from the box centre ran from the
# focus into the posterior wall and the left pedicle's lower cortex (600-900 HU): 123 of its 328 voxels
# (38 %) lay outside the box, 122 of them behind its posterior face, 58 more than 1 mm behind it (before
# imaging.lesion_cortex). A sclerotic lesion grown from its box centre stays in its box but for its
# partial-volume edge (one voxel: 1 mm).
SCLEROTIC = [pytest.param(c.values[0], id=c.id) for c in CASES if set(c.values[1]) == {B}]


@pytest.mark.realdata
@pytest.mark.parametrize("row", SCLEROTIC)
def test_sclerotic_lesion_stays_in_its_box_off_the_cortex(shared_data: Path, row: int) -> None:
    folder = shared_data / "bone-lesions"
    volume, centre, size = _case(folder, row)
    lesion = segment_lesion(volume, centre)
    pts = volume.index_to_lps_points(lesion.mask.voxel_indices())
    assert np.all(np.abs(pts - centre) <= size / 2.0 + 1.0, axis=1).mean() >= 0.9


BOXED_CASES = [pytest.param(*c.values, id=c.id, marks=SMALL_FOCUS_IN_BOX if c.marks else ()) for c in CASES]


@pytest.mark.realdata
@pytest.mark.parametrize(("row", "types"), BOXED_CASES)
def test_real_lesion_with_the_operators_box(shared_data: Path, row: int, types: set[LesionType]) -> None:
    # issue 4: "from a seed point (optionally within a box the operator draws)": the dataset's box drawn as
    # the operator's box; the same criteria as without it, and the lesion stays inside the box
    folder = shared_data / "bone-lesions"
    volume, centre, size = _case(folder, row)
    lo, hi = centre - size / 2.0, centre + size / 2.0
    lesion = segment_lesion(volume, centre, box_lps=(lo, hi))
    assert np.all(np.abs(np.asarray(lesion.centroid_lps) - centre) <= size / 2.0)
    pts = volume.index_to_lps_points(lesion.mask.voxel_indices())
    assert np.all(np.abs(pts - centre) <= size / 2.0 + 5.0, axis=1).mean() >= 0.5
    # every voxel centre inside the box itself (1e-6 mm: rounding of the LPS mapping)
    assert np.all((pts >= lo - 1e-6) & (pts <= hi + 1e-6))
    assert lesion.type in types
    assert 89.0 - 2 * 38.0 <= lesion.reference_bone_hu <= 400.0


# boxes an operator draws around a lesion (session 16 QA item 4): the dataset's box; the box the window draws
# with Shift+drag in the axial view (as deep as its longer side, app.segmentation.lesion_tool.box_depth_mm,
# about the seed's slice); the dataset's box grown by 2 mm. The test above used only the dataset's box,
# 11.5 mm deep for case7's second lesion: the window's box (26 mm deep) took 1,897 voxels of the lesion's
# own vertebral body out of the texture judgement's deep normal bone, its median rose from 275 to 283 HU and
# the 2.96 mL blastic lesion was refused; with its box grown by 2 mm case5's lesion fell from 0.06 to 0.01 mL
BOXES = ["dataset", "window", "grown-2mm"]
FOUND = [pytest.param(c.values[0], id=c.id) for c in CASES if not c.marks]


def _operator_box(centre: np.ndarray, size: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    half = size / 2.0
    if kind == "window":
        half = np.array([half[0], half[1], max(size[0], size[1]) / 2.0])
    elif kind == "grown-2mm":
        half = half + 2.0
    return centre - half, centre + half


@pytest.mark.realdata
@pytest.mark.parametrize("box_kind", BOXES)
@pytest.mark.parametrize("row", FOUND)
def test_a_box_never_loses_the_lesion_found_without_it(shared_data: Path, row: int, box_kind: str) -> None:
    # "the lesion is in here": with the box, the lesion found without it is kept inside it, whole: its part
    # in the box connected (faces) to the seed (to the seed's 2 mm ball, the largest such part, as growth
    # from the seed keeps it), and nothing else
    folder = shared_data / "bone-lesions"
    volume, centre, size = _case(folder, row)
    lo, hi = _operator_box(centre, size, box_kind)
    free = segment_lesion(volume, centre)
    boxed = segment_lesion(volume, centre, box_lps=(lo, hi))
    assert boxed.type is free.type
    grid = np.indices(volume.shape).reshape(3, -1).T
    pts = volume.index_to_lps_points(grid)
    in_box = np.all((pts >= lo) & (pts <= hi), axis=1).reshape(volume.shape)
    kept = free.mask.to_full() & in_box
    labels, _ = ndimage.label(kept)
    seed_mm = (grid - np.rint(volume.lps_to_index_points(centre))) * np.asarray(volume.spacing_mm)
    seed_ball = (np.linalg.norm(seed_mm, axis=1) <= LesionParameters().seed_radius_mm).reshape(volume.shape)
    touching = np.unique(labels[seed_ball & kept])
    assert touching.size > 0
    largest = touching[np.argmax([np.count_nonzero(labels == t) for t in touching])]
    assert np.array_equal(boxed.mask.to_full(), labels == largest)


@pytest.mark.realdata
def test_case7_lesion_stays_in_a_box_drawn_in_the_window(shared_data: Path) -> None:
    # QA 14 (s10_box.py): case7's first lesion with the growth limit raised to 30 mm and the dataset's box
    # drawn on the axial slice the window showed after the first click (the lesion's centroid, 3.48 mm
    # below the box centre), as deep as its longer side (app.segmentation.lesion_tool.box_depth_mm); the
    # click at the box centre on that slice. One voxel of 27115 lay 0.8 mm beyond the box: the thin
    # layer bridging a lytic and a sclerotic part was not limited to the box
    import dataclasses

    folder = shared_data / "bone-lesions"
    volume, centre, size = _case(folder, 4)
    seed = volume.index_to_lps_points(np.rint(volume.lps_to_index_points(centre - [0.0, 0.0, 3.48])))
    depth_mm = max(size[0], size[1])
    lo = np.array([centre[0] - size[0] / 2, centre[1] - size[1] / 2, seed[2] - depth_mm / 2])
    hi = np.array([centre[0] + size[0] / 2, centre[1] + size[1] / 2, seed[2] + depth_mm / 2])
    parameters = dataclasses.replace(LesionParameters(), extent_min_mm=30.0)
    lesion = segment_lesion(volume, tuple(seed), box_lps=(lo, hi), parameters=parameters)
    pts = volume.index_to_lps_points(lesion.mask.voxel_indices())
    outside = ~np.all((pts >= lo - 1e-6) & (pts <= hi + 1e-6), axis=1)
    assert not outside.any(), pts[outside]


@pytest.mark.realdata
def test_case7_lesion_stays_out_of_the_zero_filled_slab(shared_data: Path) -> None:
    # the first case7 lesion's growth limit (16 mm) reaches the slab where the crop left the scan (0 HU,
    # water-like): none of it may be lesion (before imaging.lesion_padding, 818 of its voxels were)
    folder = shared_data / "bone-lesions"
    volume, centre, _size = _case(folder, 4)
    slab = zero_filled(volume.array)
    assert np.count_nonzero(slab) > 0.4 * slab.size  # slices 54-95 of 96
    lesion = segment_lesion(volume, centre)
    assert not (lesion.mask.to_full() & slab).any()
    assert any("edge of the scan" in n for n in lesion.notes)


# seeds picked by eye in trabecular bone away from every lesion box (LPS mm; slices of the 96 mm patches
# looked at with the seed drawn): case1's vertebral bodies have a low-density centre (5x5x5 median 83-97 HU,
# the osteoporotic range of CLINICAL.md) inside denser bone along the cortex and end plates (210-245 HU);
# they were called lytic lesions of 3.4-41 mL until the deep-bone check (imaging.lesion_deep), which must be
# why they are refused now ("deep trabecular bone"); so was case4's iliac marrow (167 HU, 3.8 mL). The
# others were refused before it too (normal bone or normal texture).
DEEP = "deep trabecular bone"
NORMAL_SEEDS = [
    pytest.param("case1.nii.gz", (13.5, 167.9, -523.5), DEEP, id="case1-upper-body-centre"),
    pytest.param("case1.nii.gz", (13.5, 146.9, -581.5), DEEP, id="case1-lower-body-centre"),
    pytest.param("case1.nii.gz", (-1.5, 153.9, -547.5), DEEP, id="case1-lesion-body-anterior-right"),
    pytest.param("case1.nii.gz", (14.5, 151.9, -559.5), DEEP, id="case1-lesion-body-lower-centre"),
    pytest.param("case1.nii.gz", (14.5, 166.9, -530.5), DEEP, id="case1-upper-body-lower-centre"),
    pytest.param("case1.nii.gz", (14.5, 147.9, -587.5), None, id="case1-lowest-body-low-slice"),
    pytest.param("case4.nii.gz", (-77.8, 230.2, -426.7), DEEP, id="case4-iliac-marrow"),
    pytest.param("case4.nii.gz", (-81.8, 235.2, -451.7), None, id="case4-femoral-head"),
    pytest.param("case5.nii.gz", (-33.7, -45.2, -208.9), None, id="case5-rib-marrow"),
    pytest.param("case7.nii.gz", (-2.7, 6.9, -144.4), None, id="case7-upper-body-left"),
    pytest.param("case7.nii.gz", (3.3, 30.9, -178.4), None, id="case7-lowest-body-left"),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("image", "seed_lps", "why"), NORMAL_SEEDS)
def test_seed_in_normal_bone_is_refused(
    shared_data: Path, image: str, seed_lps: tuple[float, float, float], why: str | None
) -> None:
    folder = shared_data / "bone-lesions"
    volume = _load(str(folder / image))
    seed = np.asarray(seed_lps)
    # away from the lesions: outside every box of this patch grown by 5 mm (issue 4's tolerance)
    for r in _rows(folder):
        if r["image_path"] == image:
            centre, size = _centre_size(r)
            assert np.any(np.abs(seed - centre) > size / 2.0 + 5.0)
    # in bone: the 5x5x5 voxels around it lie in the normal trabecular range (CLINICAL.md, as above)
    k, j, i = np.rint(volume.lps_to_index_points(seed)).astype(int)
    assert (
        89.0 - 2 * 38.0
        <= float(np.median(volume.array[k - 2 : k + 3, j - 2 : j + 3, i - 2 : i + 3]))
        <= 400.0
    )
    with pytest.raises(NoLesionAtSeedError, match=why):
        segment_lesion(volume, seed)


@pytest.mark.realdata
@pytest.mark.parametrize("side_mm", [15.0, 20.0])
@pytest.mark.parametrize(("image", "seed_lps", "why"), NORMAL_SEEDS)
def test_seed_in_normal_bone_with_a_box_around_it_is_refused(
    shared_data: Path, image: str, seed_lps: tuple[float, float, float], why: str | None, side_mm: float
) -> None:
    # an operator drawing a 15-20 mm box around normal bone: the box does not make it a lesion (normal
    # bone is then measured outside the box; before, measured inside it, case4's iliac marrow became a
    # mixed lesion of 1.5-1.9 mL with 15, 18 and 20 mm boxes, its femoral head a blastic one of 1.5 mL
    # with a 15 mm box)
    volume = _load(str(shared_data / "bone-lesions" / image))
    seed = np.asarray(seed_lps)
    with pytest.raises(NoLesionAtSeedError):
        segment_lesion(volume, seed, box_lps=(seed - side_mm / 2.0, seed + side_mm / 2.0))
