"""A lytic lesion in a body's centre is not a disc (imaging.vertebra_refusal.body_is_disc).

The disc finder reads a dip between two bright ridges along the spine; a lytic ball in the body's centre
has its bone above and below, so the finder calls it a disc (phantom: a "disc" between z 33 and 47 mm
round a 7 mm lesion). A disc is as wide as the bodies it joins; the lesion leaves most of the body's
section through it bone (13 % soft there, against 78-100 % at the abdomen's real discs), so a click on it
finds the vertebra. Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.disc_click import disc_at_point
from imaging.vertebra import find_vertebra
from tests.phantoms.vertebra import make_vertebra_phantom


@pytest.mark.parametrize("radius_mm", [7.0, 10.0])
def test_a_click_on_a_lytic_lesion_in_the_body_centre_finds_the_vertebra(radius_mm: float) -> None:
    phantom = make_vertebra_phantom(lesion=(0.0, -4.0, 0.0, radius_mm), seed=3)
    click = np.asarray(phantom.lesion_center_lps, dtype=np.float64)
    anatomy = find_vertebra(phantom.volume, click)
    # the body found is the phantom's: its centroid within 3 mm of the one without a lesion
    plain = find_vertebra(make_vertebra_phantom(seed=3).volume, click)
    assert np.linalg.norm(np.subtract(anatomy.body_centroid_lps, plain.body_centroid_lps)) < 3.0


def test_the_disc_finder_alone_takes_the_lesion_for_a_disc() -> None:
    """The premise: without the section's test the click would be refused as on a disc."""
    phantom = make_vertebra_phantom(lesion=(0.0, -4.0, 0.0, 7.0), seed=3)
    assert disc_at_point(phantom.volume, np.asarray(phantom.lesion_center_lps, dtype=np.float64)) is not None
