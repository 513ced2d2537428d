"""A lytic-looking seed in soft tissue outside intact bone is refused (imaging.lesion_outside).

QA s31 D row 21: ``osteoplan segment`` with a seed 6 mm in front of the vertebra phantom's body, in 44 HU
soft tissue, gave a 7.02 mL "lytic" lesion with a cortical breach, exit 0, though the cortex there is
intact. The base grew the lytic band (fat .. lytic edge) from such a seed up to ``extraosseous_max_mm``
around the bone. On real CT (tests/benchmarks/lesion_outside_figures.py) 174 of 340 soft-tissue points
3-10 mm outside intact vertebrae were accepted, up to 127 mL; the real points below are four of them.
A lesion that destroyed the marrow and opened the cortex (the lesion phantom's breakthrough, bone-lesions
case4 and case7: tests/imaging/test_lesion_realdata.py) is still found and followed into soft tissue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_model import LesionType
from imaging.lesion_outside import bone_around_share
from imaging.load import load_volume
from tests.imaging.real_volumes import abdomen_ct, lumbar_ct
from tests.phantoms.lesion import PhantomLesion, lesion_phantom
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom

REFUSED = "soft tissue outside the bone"
WHERE_TO_CLICK = "click in the lesion inside the bone or in the hole it made in the cortex"


@pytest.fixture(scope="module")
def vertebra() -> VertebraPhantom:
    # the phantom of QA s31 D: a lytic sphere of 7 mm 4 mm behind the body's centre (12, -18, 40); the body's
    # anterior cortex at y = -34, soft tissue (40 HU) in front of it
    return make_vertebra_phantom(lesion=(0.0, 4.0, 0.0, 7.0))


@pytest.mark.parametrize(
    "seed_lps",
    [
        pytest.param((12.0, -40.0, 40.0), id="6mm-in-front-QA-row21"),
        pytest.param((12.0, -37.0, 40.0), id="3mm-in-front"),
        pytest.param((12.0, -44.0, 40.0), id="10mm-in-front"),
        pytest.param((40.0, -18.0, 40.0), id="6mm-left"),
        pytest.param((-16.0, -18.0, 40.0), id="6mm-right"),
    ],
)
def test_seed_in_soft_tissue_beside_the_phantoms_intact_body_is_refused(
    vertebra: VertebraPhantom, seed_lps: tuple[float, float, float]
) -> None:
    # the base made each a "lytic" lesion of 2.8-18.6 mL with a cortical breach
    volume = vertebra.volume
    with pytest.raises(NoLesionAtSeedError, match=REFUSED) as info:
        segment_lesion(volume, seed_lps)
    assert WHERE_TO_CLICK in str(info.value)
    # no reference bone HU can make soft tissue a bone lesion: not offered
    assert not info.value.at_bone
    with pytest.raises(NoLesionAtSeedError, match=REFUSED):
        segment_lesion(volume, seed_lps, reference_bone_hu=200.0)


def test_the_phantoms_lesion_inside_the_body_is_still_found(vertebra: VertebraPhantom) -> None:
    centre, volume_ml = vertebra.lesion_center_lps, vertebra.lesion_volume_ml
    assert centre is not None and volume_ml is not None
    lesion = segment_lesion(vertebra.volume, centre)
    assert lesion.type is LesionType.LYTIC
    assert lesion.volume_ml == pytest.approx(volume_ml, rel=0.1)


def test_breakthrough_seed_in_the_hole_is_followed_into_soft_tissue() -> None:
    # the lesion phantom's lytic ball through the cortex (r 8 mm at 12 mm from the axis of a 16 mm bone):
    # its seed, 10 mm from the axis, lies outside the bone mask and the bone's envelope (the hole is wider
    # than the envelope's closing bridges), surrounded by bone in most directions; the lesion leaves the bone
    ph = lesion_phantom(PhantomLesion.LYTIC_BREAKTHROUGH, seed=2)
    lesion = segment_lesion(ph.volume, ph.seed_lps)
    assert lesion.type is LesionType.LYTIC
    assert lesion.cortical_breach
    r = np.hypot(*ph.volume.index_to_lps_points(lesion.mask.voxel_indices())[:, :2].T)
    assert r.max() > 17.0  # followed beyond the cortex (16 mm) into the soft tissue


def test_bone_around_share_is_under_half_outside_a_convex_bone_and_over_it_in_a_hole() -> None:
    # a solid ball of bone (r 10 voxels) with a cavity (r 5) opened by a 6-voxel-wide channel along +x
    z, y, x = np.indices((41, 41, 41)) - 20
    r = np.sqrt(x * x + y * y + z * z)
    bone = r <= 10
    bone &= ~(r <= 5)
    bone &= ~((x > 0) & (y * y + z * z <= 9))
    spacing = (1.0, 1.0, 1.0)
    for d in (1.0, 3.0, 6.0, 9.0):  # soft tissue outside the ball, d voxels from its surface
        assert bone_around_share(bone, (20, 20, 20 - 10 - d), spacing, 20.0) < 0.5
    assert bone_around_share(bone, (20, 20, 20), spacing, 20.0) > 0.5  # in the opened cavity
    assert bone_around_share(bone, (20, 20, 12), spacing, 20.0) == 1.0  # in bone


# soft-tissue points 3-10 mm outside intact vertebrae that the base made lytic lesions (base volume):
# lumbar-ct-labels L3 5 mm lateral (117.65 mL, through the marrow of the body), L4 5 mm in front (31.89 mL);
# the abdomen's T12 5 mm anterolateral (11.72 mL); the chest's T8 5 mm anterolateral (4.02 mL)
REAL_SOFT = [
    pytest.param("lumbar", (53.3, 161.6, -64.9), id="lumbar-L3-lateral-5mm"),
    pytest.param("lumbar", (24.6, 138.6, -95.9), id="lumbar-L4-anterior-5mm"),
    pytest.param("abdomen", (17.5, -133.5, 416.6), id="abdomen-T12-anterolateral-5mm"),
    pytest.param("chest", (-0.6, 108.8, -45.0), id="chest-T8-anterolateral-5mm"),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("dataset", "seed_lps"), REAL_SOFT)
def test_real_soft_tissue_beside_an_intact_vertebra_is_refused(
    shared_data: Path, dataset: str, seed_lps: tuple[float, float, float]
) -> None:
    if dataset == "lumbar":
        volume = lumbar_ct(shared_data)
    elif dataset == "abdomen":
        volume = abdomen_ct(shared_data)
    else:
        volume = load_volume(shared_data / "chest-ct-dicom").volume
    with pytest.raises(NoLesionAtSeedError, match=REFUSED) as info:
        segment_lesion(volume, seed_lps)
    assert WHERE_TO_CLICK in str(info.value)
