"""Where a lesion's reference bone HU was measured, the shares behind its type, and a seed in soft tissue.

QA s22 D: the reference bone HU ("275 HU") came with nothing on where it was measured (D4), the lytic and
sclerotic shares behind the type were in the command line's notes only (D5), and a click in muscle was
told "no normal trabecular bone was found near the seed" and offered a reference HU (D7). Phantoms of
tests/phantoms/lesion.py (bone radius 16 mm, cortex 2 mm, trabecular 200 HU, fat sleeve to 24 mm, soft
tissue beyond). Positions LPS mm.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters
from imaging.lesion_remeasure import measure_lesion_mask
from imaging.load import save_volume
from imaging.mask import Mask
from tests.phantoms.lesion import BONE_RADIUS_MM, LesionPhantom, PhantomLesion, lesion_phantom

P = LesionParameters()
#: the lytic sphere's radius (tests/phantoms/lesion.py)
SPHERE_MM = 8.0
#: half the diagonal of a 1 mm voxel: how far a voxel centre lies from a surface it touches, at most
HALF_VOXEL_MM = 0.87


@pytest.fixture(scope="module")
def lytic() -> LesionPhantom:
    return lesion_phantom(PhantomLesion.LYTIC_SPHERE)


def test_the_reference_site_is_the_shell_around_the_lesion_and_its_hu_brackets_the_reference(
    lytic: LesionPhantom,
) -> None:
    lesion = segment_lesion(lytic.volume, lytic.seed_lps)
    site = lesion.reference_site
    assert site is not None
    assert "around the lesion" in site.region and "0-400 HU" in site.region
    assert site.n_voxels >= P.min_reference_voxels
    # the shell lies 3-12 mm out from the lesion's surface, the lesion a ball of 8 mm about the seed
    near, median, far = site.distance_mm
    assert SPHERE_MM + P.shell_mm[0] - 2 * HALF_VOXEL_MM <= near <= median <= far
    assert far <= SPHERE_MM + P.shell_mm[1] + 2 * HALF_VOXEL_MM
    # in the trabecular bone, inside the cortex, not the lesion: its HU quartiles hold the reference
    # (the marrow 200 HU with 20 HU noise)
    q25, q75 = site.quartiles_hu
    assert q25 <= lesion.reference_bone_hu <= q75
    assert q25 > 170.0 and q75 < 230.0
    assert np.hypot(site.centroid_lps[0], site.centroid_lps[1]) < BONE_RADIUS_MM - P.cortex_thickness_mm
    # the shares behind the type, as the notes give them
    basis = lesion.type_basis
    assert basis is not None and basis.reference_hu == lesion.reference_bone_hu
    assert basis.delta_hu == P.abnormal_delta_hu and basis.mixed_min_fraction == P.mixed_min_fraction
    assert basis.lytic_fraction > 0.9 and basis.sclerotic_fraction < 0.05
    note = f"lytic fraction {basis.lytic_fraction:.2f}, sclerotic fraction {basis.sclerotic_fraction:.2f}"
    assert note in lesion.notes
    lo = lesion.reference_bone_hu - P.abnormal_delta_hu
    assert f"below {lo:.0f} HU (lytic)" in basis.text()


def test_a_mottled_lesion_is_typed_against_the_deep_bone_and_says_so() -> None:
    ph = lesion_phantom(PhantomLesion.MOTTLED_SPHERE)
    lesion = segment_lesion(ph.volume, ph.seed_lps)
    site = lesion.reference_site
    assert site is not None and site.region.startswith("deep trabecular bone")
    assert site.distance_mm[0] > P.shell_mm[1]  # away from the seed's neighbourhood
    assert site.quartiles_hu[0] <= lesion.reference_bone_hu <= site.quartiles_hu[1]


def test_an_operators_reference_has_no_site(lytic: LesionPhantom) -> None:
    lesion = segment_lesion(lytic.volume, lytic.seed_lps, reference_bone_hu=210.0)
    assert lesion.reference_site is None
    assert lesion.type_basis is not None and lesion.type_basis.reference_hu == 210.0
    js = lesion.to_json()
    assert js["reference_bone_site"] is None and js["type_basis"]["reference_bone_hu"] == 210.0


def test_a_mask_drawn_by_hand_gets_its_site_and_basis(lytic: LesionPhantom) -> None:
    mask = Mask.from_full(lytic.truth)
    lesion = measure_lesion_mask(lytic.volume, mask, lesion_type=None, reference_bone_hu=None)
    assert lesion.reference_site is not None and "around the mask" in lesion.reference_site.region
    assert lesion.type_basis is not None and lesion.type_basis.lytic_fraction > 0.9
    # carried over (segmentation's or the operator's): neither is measured again
    kept = measure_lesion_mask(lytic.volume, mask, lesion_type=lesion.type, reference_bone_hu=200.0)
    assert kept.reference_site is None and kept.type_basis is None


def test_the_command_line_gives_the_site_and_the_basis_beside_designs_keys(
    lytic: LesionPhantom, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lytic.nii.gz"
    save_volume(lytic.volume, path)
    seed = ",".join(f"{v:g}" for v in lytic.seed_lps)
    assert main(["segment", str(path), "--seed", seed, "--json"]) == 0
    js = json.loads(capsys.readouterr().out)["lesion"]
    design = ("type", "volume_ml", "max_diameter_mm", "mean_hu", "centroid_lps", "bbox_lps")
    assert all(k in js for k in (*design, "reference_bone_hu"))
    site = js["reference_bone_site"]
    assert site["n_voxels"] >= P.min_reference_voxels and "around the lesion" in site["region"]
    d = site["distance_from_seed_mm"]
    assert d["nearest"] <= d["median"] <= d["farthest"]
    assert site["quartiles_hu"][0] <= js["reference_bone_hu"] <= site["quartiles_hu"][1]
    assert js["type_basis"]["lytic_fraction"] > 0.9


@pytest.mark.parametrize("seed_lps", [(30.0, 0.0, 0.0), (0.0, -31.0, 5.0)])
def test_a_seed_in_soft_tissue_says_so_with_the_nearest_bone_and_offers_no_reference(
    seed_lps: tuple[float, float, float],
) -> None:
    ph = lesion_phantom(PhantomLesion.NONE)
    with pytest.raises(NoLesionAtSeedError) as err:
        segment_lesion(ph.volume, seed_lps)
    message = str(err.value)
    assert "soft tissue" in message and not err.value.at_bone
    # the nearest bone: the cortex's outer surface at 16 mm from the axis, to within a voxel
    distance = float(message.split("the nearest bone ")[1].split(" mm away", maxsplit=1)[0])
    expected = np.hypot(seed_lps[0], seed_lps[1]) - BONE_RADIUS_MM
    assert distance == pytest.approx(expected, abs=1.0)
