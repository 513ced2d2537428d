"""A lesion click on metal is refused as metal (not as "the bone's cortex"), and a reference HU that is not a
number is refused by name.

QA s22 D: on bone-lesions case7 with a 6 mm rod added (tests/metal_cases.with_rod), a seed on the rod read
3071 HU and was refused with "the seed (3071 HU) lies on the bone's cortex ...: dense normal bone, not a
lesion ... give this bone's normal HU with --reference-hu": the operator was told to look for cortex and
offered a reference that cannot help. The same here on the phantom's bone cylinder (truth by construction:
the rod's voxels read ``ROD_HU``, above the 3000 HU top of CLINICAL.md's bone range).
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from tests.metal_cases import ROD_HU, with_rod
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
