"""The sacrum against L5: no disc below S1, the L5-S1 disc below L5 (imaging.level_disc, level_sacrum).

Phantom: tests/phantoms/rib_spine.py (24 mm bodies, 8 mm discs, an S1 body with alae between two ilia
and nothing below it, 2 mm grid). Real data: abdomen-pelvis-ct (3 mm voxels) with its model-made
vertebra and vertebral-body labels; a click is the centroid of a level's body voxels (the labels of
that level inside the body labels), as the QA pass clicked. There L5's transverse processes come
within a few millimetres of the iliac crests and an axial slab at L5 reaches the sacral alae, so the
alae test alone called L5 the sacrum; the disc below it is what tells it from S1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.level_anatomy import is_sacrum, suggestion_for_anatomy
from imaging.level_disc import disc_below
from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.volume import Volume
from tests.phantoms.rib_spine import BODY_HEIGHT_MM, PITCH_MM, RibSpinePhantom, make_rib_spine_phantom

#: the disc's centre is found within this distance of where it was built (mm): the 2 mm grid and the
#: blur of the endplates
DISC_DEPTH_TOLERANCE_MM = 3.0
ABDOMEN_LEVELS = {32: "T12", 31: "L1", 30: "L2", 29: "L3", 28: "L4", 27: "L5", 26: "S1"}


@pytest.fixture(scope="module")
def spine() -> RibSpinePhantom:
    return make_rib_spine_phantom(levels=("L3", "L4", "L5"), rib_levels=frozenset())


def test_disc_below_each_lumbar_body_and_none_below_s1(spine: RibSpinePhantom) -> None:
    disc_mm = PITCH_MM - BODY_HEIGHT_MM
    for level in ("L3", "L4"):
        found = disc_below(spine.volume, spine.center(level))
        assert found.found is True, f"{level}: {found.reason}"
        # from the body's centre: half a body, then half a disc
        assert abs(found.depth_mm - (BODY_HEIGHT_MM + disc_mm) / 2) <= DISC_DEPTH_TOLERANCE_MM
    l5 = disc_below(spine.volume, spine.center("L5"))
    assert l5.found is True, l5.reason  # the L5-S1 disc (the phantom's is taller)
    s1 = disc_below(spine.volume, spine.center("S1"))
    assert s1.found is False and "no intervertebral disc" in s1.reason
    # the same bodies clicked off-centre (within the body, 8 mm up, forward, to the side)
    for offset in ((0.0, 0.0, 8.0), (0.0, -8.0, 0.0), (10.0, 0.0, 0.0)):
        assert disc_below(spine.volume, spine.center("L4") + np.array(offset)).found is True
        assert disc_below(spine.volume, spine.center("S1") + np.array(offset)).found is False


def test_sacrum_verdict_follows_the_disc_below(spine: RibSpinePhantom) -> None:
    s1 = is_sacrum(spine.volume, spine.center("S1"))
    assert s1.is_sacrum is True and "no disc below" in s1.reason
    for level in ("L3", "L4", "L5"):
        assert is_sacrum(spine.volume, spine.center(level)).is_sacrum is False


def test_field_of_view_ending_below_the_point_leaves_it_undecided(spine: RibSpinePhantom) -> None:
    vol = spine.volume
    s1 = spine.center("S1")
    # keep the slices from 4 mm below the S1 centre upwards: nothing below the point is seen
    first = int(np.floor(vol.lps_to_index_points(s1 - np.array([0.0, 0.0, 4.0]))[0]))
    cut = Volume(np.ascontiguousarray(vol.array[first:]), vol.index_to_lps @ _shift(first))
    below = disc_below(cut, s1)
    assert below.found is None and "field of view" in below.reason
    finding = is_sacrum(cut, s1)
    assert finding.is_sacrum is None and finding.reason.startswith("undecided")
    with pytest.raises(ValueError, match='"search_below_mm"'):
        disc_below(vol, s1, search_below_mm=0.0)
    with pytest.raises(ValueError, match='"point_lps"'):
        disc_below(vol, (0.0, 1.0))


def _shift(slices: int) -> np.ndarray:
    out = np.eye(4)
    out[0, 3] = slices
    return out


# -- real data ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def abdomen(shared_data: Path) -> tuple[Volume, dict[str, np.ndarray]]:
    from imaging.image_files import read_image

    folder = shared_data / "abdomen-pelvis-ct"
    ct = read_image(folder / "ct.nii.gz")
    labels = read_image(folder / "labels-model.nii.gz").array
    bodies = read_image(folder / "vertebral-bodies-model.nii.gz").array > 0
    clicks = {}
    for value, level in ABDOMEN_LEVELS.items():
        clicks[level] = ct.index_to_lps_points(np.argwhere((labels == value) & bodies).mean(axis=0))
    return ct, clicks


@pytest.mark.realdata
def test_abdomen_disc_below_every_lumbar_body_not_below_s1(
    abdomen: tuple[Volume, dict[str, np.ndarray]],
) -> None:
    ct, clicks = abdomen
    for level in ("T12", "L1", "L2", "L3", "L4", "L5"):
        found = disc_below(ct, clicks[level])
        assert found.found is True, f"{level}: {found.reason}"
    assert disc_below(ct, clicks["S1"]).found is False
    l5 = is_sacrum(ct, clicks["L5"])
    assert l5.is_sacrum is False, l5.reason
    s1 = is_sacrum(ct, clicks["S1"])
    assert s1.is_sacrum is True, s1.reason


@pytest.mark.realdata
def test_abdomen_l5_click_is_l5_not_suggested_s1(abdomen: tuple[Volume, dict[str, np.ndarray]]) -> None:
    ct, clicks = abdomen
    anatomy = find_vertebra(ct, clicks["L5"])
    # the body found is L5's: its centroid within 10 mm (about 3 voxels) of the label body's
    assert np.linalg.norm(np.asarray(anatomy.body_centroid_lps) - clicks["L5"]) <= 10.0
    suggestion = suggestion_for_anatomy(ct, anatomy)
    assert suggestion is None or suggestion.level != "S1", suggestion
    judged = is_sacrum(ct, anatomy.body_centroid_lps)
    assert judged.is_sacrum is False, judged.reason
    # L5's alae may pass the sacrum's lateral test (78 mm wide, 6-10 mm from the iliac crest; from some
    # body centroids one side reads joined): the disc below the body is what tells it from S1
    below = disc_below(ct, anatomy.body_centroid_lps)
    assert below.found is True, below.reason


@pytest.mark.realdata
def test_abdomen_s1_click_is_refused_with_the_s1_suggestion(
    abdomen: tuple[Volume, dict[str, np.ndarray]],
) -> None:
    ct, clicks = abdomen
    with pytest.raises(VertebraNotFoundError) as refused:
        find_vertebra(ct, clicks["S1"])
    message = str(refused.value)
    assert "no vertebra" in message and "sacrum" in message, message
    assert "anatomy suggests S1" in message and "would be L5" in message, message


@pytest.mark.realdata
def test_abdomen_t12_click_still_suggested_t12(abdomen: tuple[Volume, dict[str, np.ndarray]]) -> None:
    ct, clicks = abdomen
    suggestion = suggestion_for_anatomy(ct, find_vertebra(ct, clicks["T12"]))
    assert suggestion is not None and suggestion.level == "T12", suggestion
