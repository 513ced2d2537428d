"""A lesion click on metal is refused as metal (not as "the bone's cortex"), a dark click beside metal is said
to be probably on its streak artefact, and a reference HU that is not a number is refused by name.

QA s22 D: on bone-lesions case7 with a 6 mm rod added (tests/metal_cases.with_rod), a seed on the rod read
3071 HU and was refused with "the seed (3071 HU) lies on the bone's cortex ...: dense normal bone, not a
lesion ... give this bone's normal HU with --reference-hu": the operator was told to look for cortex and
offered a reference that cannot help. The same here on the phantom's bone cylinder (truth by construction:
the rod's voxels read ``ROD_HU``, above the 3000 HU top of CLINICAL.md's bone range).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_metal import nearest_metal_mm
from tests.metal_cases import ROD_HU, ROD_RADIUS_MM, rod_line, with_rod
from tests.phantoms.lesion import PhantomLesion, lesion_phantom

#: a rod along x through the bone cylinder (radius 16 mm), from outside it to near its axis
ROD_ENTRY_LPS = (-30.0, 0.0, 0.0)
ROD_TIP_LPS = (-2.0, 0.0, 0.0)


@pytest.mark.parametrize("on_rod_lps", [(-10.0, 0.0, 0.0), (-14.0, 0.0, 0.0)])
def test_a_seed_on_metal_is_refused_as_metal(on_rod_lps: tuple[float, float, float]) -> None:
    phantom = lesion_phantom(PhantomLesion.NONE)
    volume = with_rod(phantom.volume, ROD_ENTRY_LPS, ROD_TIP_LPS)
    idx = tuple(np.rint(volume.lps_to_index_points(on_rod_lps)).astype(int))
    assert volume.array[idx] == pytest.approx(ROD_HU)  # the seed's voxel is the rod's
    with pytest.raises(NoLesionAtSeedError) as caught:
        segment_lesion(volume, on_rod_lps)
    message = str(caught.value)
    assert "on metal" in message and "3071 HU" in message
    assert "cortex" not in message and "normal bone" not in message
    # an operator's reference bone HU cannot make metal a lesion: not offered (the CLI's hint follows it)
    assert not caught.value.at_bone


def test_a_lytic_seed_beside_the_rod_is_still_segmented() -> None:
    # the lytic sphere (r 8 mm at (2, -1.5, 3)) with the rod 9 mm below it, out of the sphere's slices
    phantom = lesion_phantom(PhantomLesion.LYTIC_SPHERE)
    volume = with_rod(phantom.volume, (-30.0, -1.5, -12.0), (-2.0, -1.5, -12.0), streak_hu=0.0)
    lesion = segment_lesion(volume, phantom.seed_lps)
    assert lesion.type.value == "lytic"
    assert lesion.volume_ml == pytest.approx(phantom.truth_volume_ml, rel=0.05)


@pytest.mark.parametrize("reference", ["nan", "inf", "-inf"])
def test_a_reference_that_is_not_a_number_is_refused_by_name(
    reference: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA s22 D: ``--reference-hu nan`` was taken and every seed refused as "within 88 HU of the local normal
    bone (nan HU)"; ``segment_lesion`` took a NaN reference too."""
    from app.cli import EXIT_BAD_INPUT, main

    phantom = lesion_phantom(PhantomLesion.LYTIC_SPHERE)
    with pytest.raises(ValueError, match='"reference_bone_hu" must be a finite HU value'):
        segment_lesion(phantom.volume, phantom.seed_lps, reference_bone_hu=float(reference))
    # the command line refuses it before it loads anything (the path need not exist)
    assert main(["segment", "ct.nii.gz", "--seed=1,2,3", f"--reference-hu={reference}"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"osteoplan segment: --reference-hu must be a finite number of HU, got {float(reference)}"]


# -- a dark seed beside metal (QA s22 D8) -----------------------------------------------------------------
#: the rod of the streak tests: along z (a needle across the axial slices, so every slice the lesion spans
#: holds its streaks), ``ROD_OFFSET_MM`` in front (-y) of the lytic sphere's seed, outside the sphere (r 8 mm)
ROD_OFFSET_MM = 12.0


def _metal_mm(message: str) -> float:
    found = re.search(r"with metal ([0-9.]+) mm from it", message)
    assert found is not None, message
    return float(found.group(1))


def test_a_lytic_seed_on_a_dark_streak_names_the_metal_and_its_distance() -> None:
    """The synthetic streaks of tests/metal_cases (+-500 HU, cos 6 theta, fading over 35 mm; not a
    forward-projected artefact): with phase 0 a dark band runs along +-y from the rod, over the seed. The
    lytic sphere's 30 HU read -336 HU at the seed: refused as air or fat on the base with no word of the
    metal. Truth by construction: the rod's axis lies 12 mm from the seed, its surface 9 mm."""
    phantom = lesion_phantom(PhantomLesion.LYTIC_SPHERE)
    x, y, _ = phantom.seed_lps
    volume = with_rod(phantom.volume, (x, y - ROD_OFFSET_MM, -20.0), (x, y - ROD_OFFSET_MM, 20.0))
    with pytest.raises(NoLesionAtSeedError) as caught:
        segment_lesion(volume, phantom.seed_lps)
    message = str(caught.value)
    assert "streak artefact" in message and "metal" in message
    # the nearest metal voxel's centre: the rod's surface, 12 - 3 mm away, within one voxel diagonal (the
    # seed stands for its voxel, imaging.lesion_seed, and the rod is voxelised at voxel centres)
    assert _metal_mm(message) == pytest.approx(ROD_OFFSET_MM - ROD_RADIUS_MM, abs=np.sqrt(3.0))
    assert not caught.value.at_bone  # a reference HU cannot help on a streak: not offered


def test_a_dark_seed_without_metal_stays_air_or_fat_and_far_metal_is_not_counted() -> None:
    phantom = lesion_phantom(PhantomLesion.LYTIC_SPHERE)
    with pytest.raises(NoLesionAtSeedError) as caught:
        segment_lesion(phantom.volume, (20.0, 0.0, 0.0))  # the fat sleeve, no metal anywhere
    assert "in air or fat" in str(caught.value) and "metal" not in str(caught.value)
    # one metal voxel 5 voxels (10 mm on 2 mm rows) from the seed: counted within 10 mm, not within 9 mm
    hu = np.zeros((9, 21, 9), dtype=np.float32)
    hu[4, 15, 4] = 3071.0
    seed = np.array([4.0, 10.0, 4.0])
    assert nearest_metal_mm(hu, seed, (1.0, 2.0, 1.0), metal_hu=3000.0, within_mm=10.0) == 10.0
    assert nearest_metal_mm(hu, seed, (1.0, 2.0, 1.0), metal_hu=3000.0, within_mm=9.0) is None


@pytest.mark.realdata
def test_case7_lesion_seed_on_the_rods_dark_streak_names_the_metal(shared_data: Path) -> None:
    """QA s22 D8 as reported: bone-lesions case7's first lesion (its csv box centre) with the QA's rod (6 mm,
    3071 HU, synthetic streaks) beside it read -169 HU and was refused as "air or fat". The rod's axis lies
    5.6 mm from the seed (by construction, tests/metal_cases.rod_line), its surface 2.6 mm; the nearest
    metal voxel centre 2.8 mm. Without the streaks the same seed gives a lytic lesion: the dark value is
    the streak's."""
    from imaging.image_files import read_image

    case7 = read_image(shared_data / "bone-lesions" / "case7.nii.gz")
    entry, target, seed = (-45.0, 40.0, -141.9), (-30.0, 5.0, -141.9), (-28.74, 16.31, -141.91)
    with pytest.raises(NoLesionAtSeedError) as caught:
        segment_lesion(with_rod(case7, entry, target), seed)
    message = str(caught.value)
    assert "median -169 HU" in message and "streak artefact" in message
    a, b = rod_line(entry, target)
    t = float(np.clip((np.subtract(seed, a) @ (b - a)) / ((b - a) @ (b - a)), 0.0, 1.0))
    surface_mm = float(np.linalg.norm(np.subtract(seed, a + t * (b - a)))) - ROD_RADIUS_MM
    # within one voxel diagonal of the rod's surface (1 mm voxels)
    assert _metal_mm(message) == pytest.approx(surface_mm, abs=np.sqrt(3.0))
    lesion = segment_lesion(with_rod(case7, entry, target, streak_hu=0.0), seed)
    assert lesion.type.value == "lytic"
