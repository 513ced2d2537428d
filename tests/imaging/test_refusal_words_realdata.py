"""Refused clicks beside the spine say where they lie (session 25): a rib head, the scapula, a transverse
process' tip where a rib meets it.

Measured on the base (40c8c5a), chest-ct-dicom:

- the right T8-T9 rib head (-26.5, 154.5, -56), 20 mm from the canal's centre, was said to lie "in the back
  of the spinal canal, or on the vertebral arch (lamina) at its back edge": at that level the canal's
  section spreads into the foramina (36 mm across; 19 mm is its median), and the point lay within it
  (imaging.canal_point.beside_the_outline_mm);
- the right scapular spine (-109.5, 106.5, 90), 100 mm to the right of the trunk's middle, was said to lie
  "beside the spinal canal, 18 mm out from its side edge ... (on a pedicle, a transverse process or a rib
  head)": the "canal" was a hole in the scapula (imaging.spine_middle);
- the transverse processes' tips at (28, 162, -40) and (-36, 158, -116), where the ribs meet them, read
  "most likely a rib": the rib runs on from them as a bar, and the rib necks in front of the processes lie
  as far from the canal, so both are named (imaging.click_rib).

Every test here fails on the base. Real data; positions LPS mm.
"""

from __future__ import annotations

import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError
from imaging.volume import Volume

pytestmark = [pytest.mark.realdata]

RIGHT_RIB_HEAD = (-26.5, 154.5, -56.0)
RIGHT_SCAPULAR_SPINE = (-109.5, 106.5, 90.0)
TP_TIPS_AT_RIBS = {"T8 left": (28.0, 162.0, -40.0), "T11 right": (-36.0, 158.0, -116.0)}


def _refusal(volume: Volume, click: tuple[float, float, float]) -> str:
    with pytest.raises(ClickNotInBodyError) as refused:
        find_vertebra(volume, click)
    return refused.value.reason


def test_the_right_rib_head_is_said_to_lie_beside_the_canal(chest_ct: Volume) -> None:
    reason = _refusal(chest_ct, RIGHT_RIB_HEAD)
    assert "in the back of the spinal canal" not in reason
    assert "lies beside the spinal canal" in reason
    assert "a rib head" in reason
    # beyond the canal's usual side edge: 20 mm from its centre, half of a 19 mm canal inside (11 mm at head)
    out_mm = float(reason.split(" mm out from its side edge")[0].rsplit(" ", 1)[1])
    assert 6.0 <= out_mm <= 16.0


def test_the_right_scapular_spine_is_said_not_to_be_on_the_spine(chest_ct: Volume) -> None:
    reason = _refusal(chest_ct, RIGHT_SCAPULAR_SPINE)
    assert "not on the spine as far as can be seen" in reason
    assert "spinal canal" not in reason
    # how far to the right of the trunk's middle (about -9 at z 90): 100 mm
    aside_mm = float(reason.split(" mm to the right of the trunk's middle")[0].rsplit(" ", 1)[1])
    assert 90.0 <= aside_mm <= 110.0


@pytest.mark.parametrize("click", TP_TIPS_AT_RIBS.values(), ids=TP_TIPS_AT_RIBS.keys())
def test_a_transverse_process_tip_at_a_rib_names_both(
    chest_ct: Volume, click: tuple[float, float, float]
) -> None:
    reason = _refusal(chest_ct, click)
    assert "on a transverse process or the rib that meets it" in reason
    assert "most likely a rib" not in reason
    # the tips lie 22 and 27 mm beyond the canal's side edge (imaging.spine_place)
    beside_mm = float(reason.split(" mm to the side of the spinal canal")[0].rsplit(" ", 1)[1])
    assert 18.0 <= beside_mm <= 32.0
