"""A click on a disc whose search returns a "body" is refused as on the disc (QA session 21).

Real abdomen CT (abdomen-pelvis-ct, 3 mm voxels). Clicks at the centres of the L4/L5 ... T12/L1 discs
(midway between the model's bodies, 57-160 HU) were accepted: the body search stopped at the two end
plates facing each other across the disc and returned the disc as a "body" of 26-34 mL, 16-21 mm tall,
centred in the disc, its "end plates" those of the two vertebrae (L3/L4: superior end plate at z 305.4,
inferior at 288.9; the real L3's inferior end plate is at z 303.9). No warning was given; in the window
the result replaced L3 found before. Such a body's own centroid lies on the disc; a real body's centroid
lies mid-body, between its own end plates.

Clicks in bodies stay accepted, among them ones 5 mm above or below a body's centroid (near its end
plates), which the disc finder alone (at the click) says are on a disc for 12 of the 107 clicks of
tests/benchmarks/click_place_figures.py body. Positions LPS mm.
"""

from __future__ import annotations

import pytest

from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.volume import Volume

pytestmark = [pytest.mark.realdata]

DISC_WORDS = "the point is on the disc between two vertebrae"
#: the centres of the discs between the model's bodies (labels-model.nii.gz and
#: vertebral-bodies-model.nii.gz: x, y the mean of the two bodies' centroids, z midway between one body's
#: top and the next one's bottom): L4/L5, L3/L4, L2/L3, L1/L2
DISC_CENTRES = ((2.85, -138.65, 260.8), (4.65, -142.35, 296.8), (5.4, -137.15, 332.8), (6.2, -126.95, 367.3))
#: in bodies: L3's centroid, and 5 mm up and down from it (towards its end plates); L4's centroid;
#: case-style clicks 8 mm to the side
IN_BODIES = (
    (4.9, -141.3, 315.7),
    (4.9, -141.3, 320.7),
    (4.9, -141.3, 310.7),
    (4.4, -143.4, 278.2),
    (12.9, -141.3, 315.7),
)


@pytest.mark.parametrize("click", DISC_CENTRES, ids=["L4-L5", "L3-L4", "L2-L3", "L1-L2"])
def test_a_click_at_a_disc_centre_is_refused_as_on_the_disc(
    abdomen: Volume, click: tuple[float, ...]
) -> None:
    with pytest.raises(VertebraNotFoundError, match=DISC_WORDS):
        find_vertebra(abdomen, click)


def test_clicks_in_bodies_near_their_end_plates_are_kept(abdomen: Volume) -> None:
    heights = [find_vertebra(abdomen, click).body_height_mm for click in IN_BODIES]
    # real bodies: L3 and L4 are 27-30 mm tall (the disc's "bodies" were 16-21 mm)
    assert all(h > 24.0 for h in heights), heights
