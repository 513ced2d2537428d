"""A Vertebra click on a rib says the point is not in a vertebral body (not "an intervertebral disc?").

QA session 16 item 11: on the chest CT a click on a rib was refused with "the region at the point is
11 mm tall between its end plates ... an intervertebral disc? click inside the body". The refusal must
say what was found. Session 16 said the bone there was thinner than any vertebral body (12 mm); since
session 22 the point is said to lie on a long thin bar of bone, most likely a rib (imaging.click_rib;
more rib clicks in test_click_rib_realdata.py). Real data (chest-ct-dicom); positions LPS mm.
"""

from __future__ import annotations

import pytest

from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.volume import Volume

#: a right rib on the slice of the QA's T8 click (-10, 125, -45), 126 mm to the right of it
CHEST_RIB_LPS = (-135.7, 90.9, -44.5)


@pytest.mark.realdata
def test_a_click_on_a_rib_is_not_in_a_vertebral_body(chest_ct: Volume) -> None:
    with pytest.raises(VertebraNotFoundError) as refused:
        find_vertebra(chest_ct, CHEST_RIB_LPS)
    reason = refused.value.reason
    assert "most likely a rib, not in a vertebral body" in reason
    assert "intervertebral disc?" not in reason
