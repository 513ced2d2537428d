"""find_vertebra on synthetic vertebrae whose anatomy is known by construction (tests/phantoms/vertebra).

Tolerances (mm) are those of the task: body Dice >= 0.90, canal centroid within 2 mm, pedicle axes
within 1.5 mm of the constructed axes over the pedicle region (the isthmus +- 8 mm along the truth
axis), narrowest width within 1 mm, posterior-wall defect within 3 mm of where it was made.
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np
import pytest
from scipy import ndimage

from imaging.vertebra import AnatomyCancelledError, VertebraNotFoundError, find_vertebra
from imaging.vertebra_model import Side, VertebraAnatomy
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom
from tests.phantoms.vertebra_grid import GridOrientation

CASES: dict[str, dict[str, object]] = {
    "iso1mm-HFS": {},
    "aniso-FFS-rotated-defect-lesion": {
        "spacing_mm": (1.5, 0.7, 0.7),
        "orientation": GridOrientation.FFS,
        "yaw_deg": 10.0,
        "pitch_deg": 12.0,
        "adjacent": True,
        # 6 mm left of the midline: at the midline a 6 mm hole is a normal basivertebral foramen's size
        "wall_defect": (6.0, 2.0, 6.0),
        "lesion": (0.0, -3.0, 0.0, 7.0),
        "seed": 1,
    },
    "PIR-1.5mm": {"spacing_mm": (1.5, 1.5, 1.5), "orientation": GridOrientation.PIR, "seed": 2},
    "collapse-45pct": {"collapse_fraction": 0.45, "adjacent": True, "seed": 3},
    "prone-right-defect": {"orientation": GridOrientation.HFP, "wall_defect": (-5.0, -4.0, 5.0), "seed": 4},
}


@cache
def _case(name: str) -> tuple[VertebraPhantom, VertebraAnatomy]:
    phantom = make_vertebra_phantom(**CASES[name])  # type: ignore[arg-type]
    return phantom, find_vertebra(phantom.volume, phantom.center_lps)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2.0 * (a & b).sum() / (a.sum() + b.sum()))


def _line_distance_mm(entry: np.ndarray, target: np.ndarray, points: np.ndarray) -> float:
    """Largest distance of ``points`` from the line through entry and target."""
    d = (entry - target) / np.linalg.norm(entry - target)
    rel = points - target
    return float(np.linalg.norm(rel - (rel @ d)[:, None] * d, axis=1).max())


@pytest.mark.parametrize("name", list(CASES))
def test_body_dice_and_height(name: str) -> None:
    phantom, anatomy = _case(name)
    assert anatomy.body.grid_shape == phantom.volume.shape
    dice = _dice(anatomy.body.to_full(), phantom.body_mask)
    assert dice >= 0.90, f"{name}: body Dice {dice:.3f}"
    # the height is measured on 1 mm voxels (+- one voxel) of a body blurred by the scanner
    assert abs(anatomy.body_height_mm - phantom.body_height_mm) <= 2.0
    assert abs(anatomy.body_volume_ml - phantom.body_volume_ml) <= 0.12 * phantom.body_volume_ml
    assert np.linalg.norm(np.array(anatomy.body_centroid_lps) - phantom.center_lps) <= 1.5


@pytest.mark.parametrize("name", list(CASES))
def test_canal_centroid_and_area(name: str) -> None:
    phantom, anatomy = _case(name)
    err = np.linalg.norm(np.array(anatomy.canal_centroid_lps) - phantom.canal_centroid_lps)
    assert err <= 2.0, f"{name}: canal centroid {err:.2f} mm off"
    assert abs(anatomy.canal_area_mm2 - phantom.canal_area_mm2) <= 0.20 * phantom.canal_area_mm2
    # the canal lies behind the body (+y posterior in the phantom's own frame)
    post = phantom.local_to_lps_rotation[:, 1]
    assert (np.array(anatomy.canal_centroid_lps) - np.array(anatomy.body_centroid_lps)) @ post > 15.0


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("side", [Side.LEFT, Side.RIGHT])
def test_pedicle_axis_and_width(name: str, side: Side) -> None:
    phantom, anatomy = _case(name)
    assert side in anatomy.pedicles, f"{name}: {side} pedicle missing; notes {anatomy.notes}"
    found = anatomy.pedicles[side]
    truth = phantom.pedicles[side]
    s = np.linspace(-8.0, 8.0, 17)
    region = truth.isthmus_lps + s[:, None] * truth.direction_lps
    dist = _line_distance_mm(np.array(found.axis_entry_lps), np.array(found.axis_target_lps), region)
    assert dist <= 1.5, f"{name} {side}: axis {dist:.2f} mm from the constructed one"
    assert abs(found.min_width_mm - truth.min_width_mm) <= 1.0
    # the isthmus of an hourglass is flat near its waist: found within 4 mm along the pedicle
    assert np.linalg.norm(np.array(found.isthmus_lps) - truth.isthmus_lps) <= 4.0
    # entry is posterior (at the pedicle's posterior end), target inside the body
    post = phantom.local_to_lps_rotation[:, 1]
    assert (np.array(found.axis_entry_lps) - truth.isthmus_lps) @ post > 5.0
    idx = np.rint(phantom.volume.lps_to_index_points(np.array(found.axis_target_lps))).astype(int)
    assert phantom.body_mask[tuple(idx)]
    # the left pedicle is on the patient's left (+x of the phantom frame)
    left = phantom.local_to_lps_rotation[:, 0]
    sign = 1.0 if side is Side.LEFT else -1.0
    assert sign * ((np.array(found.isthmus_lps) - phantom.center_lps) @ left) > 8.0


@pytest.mark.parametrize("name", ["aniso-FFS-rotated-defect-lesion", "prone-right-defect"])
def test_wall_defect_found_where_made(name: str) -> None:
    phantom, anatomy = _case(name)
    assert phantom.wall_defect_center_lps is not None
    assert not anatomy.posterior_wall_intact
    dists = [
        np.linalg.norm(np.array(d.center_lps) - phantom.wall_defect_center_lps)
        for d in anatomy.posterior_wall_defects
    ]
    assert min(dists) <= 3.0, f"{name}: nearest defect {min(dists):.2f} mm from the made one"
    nearest = anatomy.posterior_wall_defects[int(np.argmin(dists))]
    assert phantom.wall_defect_size_mm is not None
    assert abs(nearest.size_mm - phantom.wall_defect_size_mm) <= 3.0


@pytest.mark.parametrize("name", ["iso1mm-HFS", "PIR-1.5mm", "collapse-45pct"])
def test_intact_wall_has_no_defect(name: str) -> None:
    _, anatomy = _case(name)
    assert anatomy.posterior_wall_intact, anatomy.posterior_wall_defects
    assert anatomy.posterior_wall_defects == ()


def test_posterior_wall_band_and_points_lie_on_the_wall() -> None:
    phantom, anatomy = _case("iso1mm-HFS")
    band = anatomy.posterior_wall.to_full()
    truth = phantom.posterior_wall_mask
    # most of the true wall band is covered, and the band stays in the body (within 1.5 mm of it)
    assert (band & truth).sum() >= 0.6 * truth.sum()
    near_body = ndimage.distance_transform_edt(~phantom.body_mask, sampling=phantom.volume.spacing_mm) <= 1.5
    assert (band & ~near_body).sum() <= 0.02 * band.sum()
    pts = np.array(anatomy.posterior_wall_points_lps)
    assert len(pts) >= 20
    # each point is on the body's posterior surface, known in closed form: y = b sqrt(1 - (x/a)^2)
    # in the phantom's frame; within 1 mm (median) and 2 mm (all: 1 mm grid, 0.5 mm rays)
    local = (pts - phantom.center_lps) @ phantom.local_to_lps_rotation
    a, b = phantom.body_semi_axes_mm
    surface_y = b * np.sqrt(np.clip(1.0 - (local[:, 0] / a) ** 2, 0.0, None))
    off = np.abs(local[:, 1] - surface_y)
    assert np.median(off) <= 1.0
    assert np.max(off) <= 2.0
    # ordered caudal to cranial
    assert np.all(np.diff(pts[:, 2]) >= -0.5)
    assert pts[-1, 2] - pts[0, 2] >= 15.0


def test_endplates_at_the_body_ends() -> None:
    phantom, anatomy = _case("iso1mm-HFS")
    assert anatomy.superior_endplate is not None and anatomy.inferior_endplate is not None
    v = phantom.volume
    sup = v.index_to_lps_points(anatomy.superior_endplate.voxel_indices()).mean(axis=0)
    inf = v.index_to_lps_points(anatomy.inferior_endplate.voxel_indices()).mean(axis=0)
    # layers 2 mm thick inside the body: their centres lie 0.5-1.5 mm inside the true endplates
    assert abs(sup[2] - phantom.superior_endplate_center_lps[2]) <= 2.0
    assert abs(inf[2] - phantom.inferior_endplate_center_lps[2]) <= 2.0
    assert np.linalg.norm(sup[:2] - phantom.superior_endplate_center_lps[:2]) <= 2.0


def test_same_anatomy_whatever_the_grid_orientation() -> None:
    results = []
    for orientation in (GridOrientation.HFS, GridOrientation.FFP, GridOrientation.PIR):
        phantom = make_vertebra_phantom(orientation=orientation, seed=5)
        results.append(find_vertebra(phantom.volume, phantom.center_lps))
    vols = [r.body_volume_ml for r in results]
    assert max(vols) - min(vols) <= 0.03 * max(vols)
    for r in results[1:]:
        assert np.linalg.norm(np.array(r.body_centroid_lps) - np.array(results[0].body_centroid_lps)) <= 1.0
        assert np.linalg.norm(np.array(r.canal_centroid_lps) - np.array(results[0].canal_centroid_lps)) <= 1.0
        for side in (Side.LEFT, Side.RIGHT):
            assert abs(r.pedicles[side].min_width_mm - results[0].pedicles[side].min_width_mm) <= 0.5


def test_off_centre_click_finds_the_same_body() -> None:
    phantom, anatomy = _case("iso1mm-HFS")
    click = phantom.to_lps([-9.0, -6.0, 6.0])  # off-centre, still in the body
    other = find_vertebra(phantom.volume, click)
    assert _dice(other.body.to_full(), anatomy.body.to_full()) >= 0.97
    assert other.click_lps == pytest.approx(tuple(click))


#: lytic lesions (x, y, z, radius; mm in the body's frame) inside the body, central, lateral and anterior:
#: soft-tissue density (tests.phantoms.vertebra.LESION_HU) in dense trabecular bone
LYTIC_IN_BODY = [
    (-6.0, -3.0, 0.0, 7.0),
    (6.0, -3.0, 0.0, 7.0),
    (0.0, -10.0, 0.0, 6.0),
    (-8.0, -6.0, 4.0, 5.0),
]


@pytest.mark.parametrize(
    "lesion",
    LYTIC_IN_BODY,
    ids=[f"lesion {x:+.0f},{y:+.0f},{z:+.0f} r{r:.0f}" for x, y, z, r in LYTIC_IN_BODY],
)
@pytest.mark.parametrize("where", ["body centre", "lesion centre"])
def test_lytic_lesion_inside_the_body_stays_in_it(
    lesion: tuple[float, float, float, float], where: str
) -> None:
    """A lytic lesion is part of the body, not outside it, wherever the click falls.

    Soft tissue inside a body is a lesion; the body ends at soft tissue only beyond a cortex (an
    earlier rule ended dense bodies at any soft tissue and cut lateral lesions away: Dice 0.85-0.86).
    """
    phantom = make_vertebra_phantom(lesion=lesion, seed=5)
    click = phantom.center_lps if where == "body centre" else phantom.to_lps(list(lesion[:3]))
    anatomy = find_vertebra(phantom.volume, click)
    dice = _dice(anatomy.body.to_full(), phantom.body_mask)
    assert dice >= 0.95, f"body Dice {dice:.3f}"
    assert np.linalg.norm(np.array(anatomy.body_centroid_lps) - phantom.center_lps) <= 1.5


def test_progress_and_level_and_json() -> None:
    phantom = make_vertebra_phantom(seed=6)
    seen: list[float] = []
    anatomy = find_vertebra(phantom.volume, phantom.center_lps, level_hint="l3", progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    assert anatomy.level == "L3"
    js = anatomy.to_json()
    assert set(js) >= {"vertebral_body", "spinal_canal", "posterior_wall", "pedicles", "level"}
    assert set(js["pedicles"]) == {"left", "right"}
    assert js["pedicles"]["left"]["min_width_mm"] == pytest.approx(
        anatomy.pedicles[Side.LEFT].min_width_mm, abs=0.01
    )


def test_refusals() -> None:
    phantom = make_vertebra_phantom(seed=7)
    v = phantom.volume
    with pytest.raises(VertebraNotFoundError, match="outside the volume"):
        find_vertebra(v, phantom.center_lps + np.array([500.0, 0.0, 0.0]))
    # soft tissue far lateral of the spine: no canal behind, no body
    lo, hi = v.bounds_lps()
    with pytest.raises(VertebraNotFoundError):
        find_vertebra(v, (hi[0] - 3.0, lo[1] + 3.0, phantom.center_lps[2]))
    with pytest.raises(ValueError, match="click_lps"):
        find_vertebra(v, (1.0, 2.0))
    with pytest.raises(ValueError, match="level"):
        find_vertebra(v, phantom.center_lps, level_hint="Q9")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(AnatomyCancelledError):
        find_vertebra(v, phantom.center_lps, cancel=cancel)


@pytest.mark.parametrize("orientation", list(GridOrientation))
def test_phantom_truth_is_consistent(orientation: GridOrientation) -> None:
    phantom = make_vertebra_phantom(orientation=orientation, spacing_mm=(1.5, 1.0, 1.0), noise_hu=0.0, seed=8)
    v = phantom.volume
    assert np.linalg.det(v.direction) == pytest.approx(1.0)  # right-handed, as DICOM grids are
    # the voxelised body is the closed-form elliptic cylinder (within a voxel layer: 8 %)
    assert phantom.body_mask.sum() * v.voxel_volume_ml == pytest.approx(phantom.body_volume_ml, rel=0.08)
    # HU at known points: trabecular centre, fluid canal, cortex at the wall, soft tissue outside
    at = lambda p: int(v.array[tuple(np.rint(v.lps_to_index_points(p)).astype(int))])  # noqa: E731
    assert at(phantom.center_lps) == pytest.approx(200, abs=20)
    assert at(phantom.canal_centroid_lps) == pytest.approx(10, abs=20)
    wall = v.index_to_lps_points(np.argwhere(phantom.posterior_wall_mask))
    assert np.median(v.array[phantom.posterior_wall_mask]) > 600
    assert len(wall) > 50
    assert at(phantom.to_lps([0.0, -24.0, 0.0])) == pytest.approx(40, abs=20)
    for side, sign in ((Side.LEFT, 1.0), (Side.RIGHT, -1.0)):
        truth = phantom.pedicles[side]
        assert truth.mask.any() and not (truth.mask & phantom.body_mask).any()
        assert sign * (truth.isthmus_lps - phantom.center_lps) @ np.array([1.0, 0.0, 0.0]) > 10.0
        assert at(truth.isthmus_lps) == pytest.approx(200, abs=60)  # trabecular core of the pedicle


def test_a_click_in_the_disc_is_refused_not_taken_for_a_body() -> None:
    phantom = make_vertebra_phantom(adjacent=True, seed=9)
    # the discs span 13-23 mm above and below the body's centre (10 mm tall)
    with pytest.raises(VertebraNotFoundError, match="disc"):
        find_vertebra(phantom.volume, phantom.to_lps([0.0, 0.0, 18.0]))
    # a click in the vertebra above finds that vertebra, not the clicked one's neighbour
    above = find_vertebra(phantom.volume, phantom.adjacent_centers_lps[1] + np.array([3.0, -4.0, 5.0]))
    assert np.linalg.norm(np.array(above.body_centroid_lps) - phantom.adjacent_centers_lps[1]) <= 1.5
