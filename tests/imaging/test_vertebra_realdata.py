"""find_vertebra on real CT with labels (../shared/data; skipped when absent).

lumbar-ct-labels: 1.5 mm crop stored PIR; seg-vert 21 L2, 22 L3, 23 L4 (L2 and L4 are cut by the
field of view); seg-subreg 41 arch/pedicle, 49 body cortex, 50 body. abdomen-pelvis-ct: 3 mm,
model-made labels (treated as approximate truth): labels-model 32 T12 .. 27 L5, and
vertebral-bodies-model (label 1 = bodies, 2 = discs). Clicks are at each labelled body's centroid.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from scipy import ndimage

from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from tests.imaging import real_volumes

pytestmark = pytest.mark.realdata

LUMBAR = {"L2": 21, "L3": 22, "L4": 23}
ABDOMEN = {"T12": 32, "L1": 31, "L2": 30, "L3": 29, "L4": 28, "L5": 27}
#: along a pedicle axis, the pedicle zone: from where the axis leaves the body labels (49/50) going
#: posteriorly, this far (mm). Lumbar pedicles are 8-15 mm long between body and arch.
PEDICLE_ZONE_MM = 6.0


def _lumbar(root: str) -> tuple[Volume, npt.NDArray[np.integer], npt.NDArray[np.integer]]:
    """The CT, subregion and vertebra labels, read once per run (tests/imaging/real_volumes.py)."""
    return (
        real_volumes.lumbar_ct(root),
        real_volumes.lumbar_subregions(root),
        real_volumes.lumbar_vertebrae(root),
    )


@cache
def _lumbar_result(root: str, level: str) -> tuple[VertebraAnatomy, npt.NDArray[np.bool_]]:
    ct, sub, vert = _lumbar(root)
    truth = (vert == LUMBAR[level]) & np.isin(sub, [49, 50])
    click = ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))
    return find_vertebra(ct, click), truth


def _dice(a: npt.NDArray[np.bool_], b: npt.NDArray[np.bool_]) -> float:
    return float(2.0 * (a & b).sum() / (a.sum() + b.sum()))


#: (dataset, level) -> why the body falls short of the Dice asked (a strict xfail); none at present.
#: lumbar L2 (only its lowest 10-13 mm in the crop) passed once the field of view's edge stopped
#: reading as air and stopped shortening its neighbouring rays: Dice 0.816 -> 0.857
KNOWN_SHORT: dict[tuple[str, str], str] = {}


def _levels(dataset: str, names: list[str]) -> list[object]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_SHORT[(dataset, n)], strict=True))
        if (dataset, n) in KNOWN_SHORT
        else n
        for n in names
    ]


@pytest.mark.parametrize("level", _levels("lumbar", list(LUMBAR)))
def test_lumbar_body_dice(shared_data: Path, level: str) -> None:
    anatomy, truth = _lumbar_result(str(shared_data), level)
    dice = _dice(anatomy.body.to_full(), truth)
    assert dice >= 0.85, f"{level}: body Dice {dice:.3f} against labels 49+50"


@pytest.mark.parametrize("level", list(LUMBAR))
def test_lumbar_pedicle_axes_run_inside_the_pedicle_label(shared_data: Path, level: str) -> None:
    ct, sub, vert = _lumbar(str(shared_data))
    anatomy, _ = _lumbar_result(str(shared_data), level)
    visible = (vert == LUMBAR[level]) & (sub == 41)
    if level == "L3":  # the one vertebra whose pedicles are wholly inside the crop
        assert set(anatomy.pedicles) == {Side.LEFT, Side.RIGHT}, anatomy.notes
    if not anatomy.pedicles:
        pytest.skip(f"{level}: no pedicle traced (the field of view cuts it): {anatomy.notes}")
    for side, ped in anatomy.pedicles.items():
        entry, target = np.array(ped.axis_entry_lps), np.array(ped.axis_target_lps)
        d = (target - entry) / np.linalg.norm(target - entry)
        s = np.arange(0.0, np.linalg.norm(target - entry), 0.5)
        pts = entry + s[:, None] * d
        idx = np.rint(ct.lps_to_index_points(pts)).astype(int)
        inside = np.all((idx >= 0) & (idx < np.array(ct.shape)), axis=1)
        labels = np.zeros(len(pts), dtype=int)
        labels[inside] = sub[tuple(idx[inside].T)]
        in_body = np.isin(labels, [49, 50])
        assert in_body.any(), f"{level} {side}: the axis never enters the body"
        first_body = int(np.argmax(in_body))
        zone = (s >= s[first_body] - PEDICLE_ZONE_MM) & (s < s[first_body])
        assert zone.sum() >= 8
        in_pedicle = labels[zone] == 41
        assert in_pedicle.mean() >= 0.9, (
            f"{level} {side}: only {in_pedicle.mean():.0%} of the pedicle zone in label 41 "
            f"({''.join(str(v % 10) for v in labels[zone])})"
        )
        assert visible.any()
        assert 4.0 <= ped.min_width_mm <= 16.0  # CLINICAL.md: lumbar safe zone 7.2-17.8 mm


def test_lumbar_l3_canal_and_wall(shared_data: Path) -> None:
    ct, _, _ = _lumbar(str(shared_data))
    anatomy, truth = _lumbar_result(str(shared_data), "L3")
    body_c = np.array(anatomy.body_centroid_lps)
    canal_c = np.array(anatomy.canal_centroid_lps)
    # the canal lies behind the body (+y), between the pedicles, at the body's mid-height
    assert 15.0 <= canal_c[1] - body_c[1] <= 40.0
    assert abs(canal_c[0] - body_c[0]) <= 6.0
    assert abs(canal_c[2] - body_c[2]) <= 3.0
    assert 120.0 <= anatomy.canal_area_mm2 <= 600.0
    # the canal is not bone: none of it in the vertebra's body labels
    canal = anatomy.canal.to_full()
    assert (canal & truth).sum() <= 0.05 * canal.sum()
    # the wall points sit on the body labels' posterior border (within 2 voxels)
    pts = np.array(anatomy.posterior_wall_points_lps)
    border = ndimage.binary_dilation(truth, iterations=2) & ~ndimage.binary_erosion(truth, iterations=2)
    idx = np.rint(ct.lps_to_index_points(pts)).astype(int)
    assert border[tuple(idx.T)].mean() >= 0.9
    assert 20.0 <= anatomy.body_height_mm <= 34.0


def model_body(
    levels: npt.NDArray[np.integer], bodies: npt.NDArray[np.integer], label: int
) -> npt.NDArray[np.bool_]:
    """The abdomen's model-made body of one level: of the labelled body components (``bodies``, from
    vertebral-bodies-model), the one that overlaps the level's voxels (``levels == label``,
    labels-model) most, within that level."""
    vertebra = levels == label
    overlap = np.bincount(bodies[vertebra], minlength=int(bodies.max()) + 1)
    overlap[0] = 0
    body: npt.NDArray[np.bool_] = (bodies == int(np.argmax(overlap))) & vertebra
    return body


@cache
def _abdomen_result(root: str, level: str) -> tuple[VertebraAnatomy, npt.NDArray[np.bool_]]:
    ct, levels, bodies = _abdomen(root)
    truth = model_body(levels, bodies, ABDOMEN[level])
    click = ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))
    return find_vertebra(ct, click), truth


@cache
def _abdomen(root: str) -> tuple[Volume, npt.NDArray[np.integer], npt.NDArray[np.int32]]:
    """The CT, the model's level labels and its bodies labelled apart (the files read once per run:
    tests/imaging/real_volumes.py)."""
    bodies, _ = ndimage.label(real_volumes.abdomen_bodies(root) == 1)
    return real_volumes.abdomen_ct(root), real_volumes.abdomen_levels(root), bodies


@pytest.mark.parametrize("level", _levels("abdomen", list(ABDOMEN)))
def test_abdomen_body_dice(shared_data: Path, level: str) -> None:
    anatomy, truth = _abdomen_result(str(shared_data), level)
    dice = _dice(anatomy.body.to_full(), truth)
    assert dice >= 0.80, f"{level}: body Dice {dice:.3f} against the model's body"


#: the canal implied by the labels: a hole of the labelled bone in an axial plane, behind the body
#: (centroid 8-45 mm posterior, within 12 mm of its midline), of at least 40 mm^2 (a partial canal)
LABEL_CANAL_POSTERIOR_MM = (8.0, 45.0)
LABEL_CANAL_LATERAL_MM = 12.0
LABEL_CANAL_MIN_MM2 = 40.0
#: found vs label canal, per plane where the labels enclose it: centroids within one voxel of the
#: labels' 3 mm grid (abdomen) or 2 mm (lumbar, 1.5 mm voxels), areas within 25 %
CANAL_CENTROID_TOLERANCE_MM = {"lumbar": 2.0, "abdomen": 3.0}
CANAL_AREA_TOLERANCE = 0.25
CANAL_SHORT = {
    ("abdomen", "L5"): (
        "L5's trefoil canal: partial volume of the lamina closes a bar across the canal on 3 mm "
        "slices and its back is a separate hole; found area 0.57-0.76 of the labels' hole"
    ),
}


def _axial_axis(volume: Volume) -> int:
    """The array axis that runs most nearly along z (superior)."""
    return int(np.argmax(np.abs(volume.index_to_lps[2, :3])))


def _label_canal(
    volume: Volume, bone: npt.NDArray[np.bool_], body_centroid_lps: np.ndarray
) -> npt.NDArray[np.bool_]:
    """Holes of the labelled bone in axial planes, behind the body: the canal where the arch closes it."""
    ax = _axial_axis(volume)
    structure = np.zeros((3, 3, 3), dtype=bool)
    plane: list[slice | int] = [slice(None)] * 3
    plane[ax] = 1
    structure[tuple(plane)] = ndimage.generate_binary_structure(2, 1)
    holes = ndimage.binary_fill_holes(bone, structure=structure) & ~bone
    labels, n = ndimage.label(holes, structure=structure)
    pixel_mm2 = float(np.prod(volume.spacing_mm)) / volume.spacing_mm[ax]
    out = np.zeros_like(bone)
    for lab in range(1, n + 1):
        hole = labels == lab
        c = volume.index_to_lps_points(np.argwhere(hole).mean(axis=0)) - body_centroid_lps
        if (
            abs(c[0]) <= LABEL_CANAL_LATERAL_MM
            and LABEL_CANAL_POSTERIOR_MM[0] <= c[1] <= LABEL_CANAL_POSTERIOR_MM[1]
            and hole.sum() * pixel_mm2 >= LABEL_CANAL_MIN_MM2
        ):
            out |= hole
    return out


def _canal_cases() -> list[object]:
    cases = [("lumbar", n) for n in LUMBAR] + [("abdomen", n) for n in ABDOMEN]
    return [
        pytest.param(d, n, marks=pytest.mark.xfail(reason=CANAL_SHORT[(d, n)], strict=True))
        if (d, n) in CANAL_SHORT
        else (d, n)
        for d, n in cases
    ]


@pytest.mark.parametrize(("dataset", "level"), _canal_cases())
def test_canal_against_the_labels(shared_data: Path, dataset: str, level: str) -> None:
    """On the planes where the labels enclose the canal, the canal found matches their hole."""
    root = str(shared_data)
    if dataset == "lumbar":
        ct, sub, _ = _lumbar(root)
        anatomy, _ = _lumbar_result(root, level)
        bone, body_labels = sub > 0, np.isin(sub, [49, 50])
    else:
        ct, levels, bodies = _abdomen(root)
        anatomy, _ = _abdomen_result(root, level)
        bone, body_labels = levels > 0, bodies > 0
    truth = _label_canal(ct, bone, np.array(anatomy.body_centroid_lps))
    found = anatomy.canal.to_full()
    ax = _axial_axis(ct)
    others = tuple(i for i in range(3) if i != ax)
    shared = np.flatnonzero(truth.any(axis=others) & found.any(axis=others))
    assert len(shared) >= 1, f"{level}: the canal found meets none of the planes where the labels close it"
    index = np.indices(ct.shape)[ax]
    for p in shared:
        t, f = truth & (index == p), found & (index == p)
        t_c = ct.index_to_lps_points(np.argwhere(t).mean(axis=0))
        f_c = ct.index_to_lps_points(np.argwhere(f).mean(axis=0))
        err = float(np.hypot(*(f_c - t_c)[:2]))
        assert err <= CANAL_CENTROID_TOLERANCE_MM[dataset], f"{level} plane {p}: centroid {err:.1f} mm off"
        ratio = f.sum() / t.sum()
        assert abs(ratio - 1.0) <= CANAL_AREA_TOLERANCE, f"{level} plane {p}: area {ratio:.2f} of the labels'"
    # the canal never runs into a vertebral body (the labels' bodies, any level)
    in_body = int((found & body_labels).sum())
    assert in_body <= 0.02 * found.sum(), f"{level}: {in_body} of {found.sum()} canal voxels in a body label"
