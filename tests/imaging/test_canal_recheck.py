"""The spinal canal looked for again where the search's first finding is not it (imaging.canal_recheck,
session 24, task A).

Three clicks the old code accepted with a wrong body and nothing said:

- lumbar-ct-labels L2, 10 mm behind its canal (tests/benchmarks/wall_click_figures.py "canal +10"), on the
  L2 lamina at the root of its spinous process: a 7.7 mL "body" (the laminae and spinous process, Dice
  0.000 against every labelled body) cut in front of a pocket 20 mm behind the real canal;
- the vertebra phantom clicked on its lamina, 11 mm behind the canal's centre: a 5.9 mL "body";
- lumbar-ct-labels L3 clicked 5 mm in front of its labelled body's centroid: the canal search took the
  body's dark interior (41 HU at its centre) for the canal and cut the body at it: 23.1 mL, Dice 0.675
  against the labelled body (the centroid click: 36.7 mL, Dice 0.909).

Positions LPS mm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError
from tests.imaging import test_vertebra_realdata as realdata
from tests.phantoms.vertebra import make_vertebra_phantom

#: the words of a refusal behind the canal (or in its back half, or on the lamina at its back edge), as in
#: tests/imaging/test_vertebra_behind_canal.py
BEHIND_WORDS = r"lies behind the spinal canal|lies in the back of the spinal canal|vertebral arch \(lamina\)"


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2.0 * (a & b).sum() / (a.sum() + b.sum()))


def test_a_click_on_the_phantoms_lamina_is_refused_as_behind_the_canal() -> None:
    # local (12, 34, 0): 12 mm left of the midline, 11 mm behind the canal's centre (23 mm behind the body's
    # centre), in the lamina. The old code: a 5.9 mL "body" centred 14 mm behind the canal's centre
    phantom = make_vertebra_phantom()
    click = phantom.to_lps(np.array([12.0, 34.0, 0.0]))
    with pytest.raises(ClickNotInBodyError, match=BEHIND_WORDS):
        find_vertebra(phantom.volume, click)


def test_the_phantoms_body_click_is_kept() -> None:
    phantom = make_vertebra_phantom()
    found = find_vertebra(phantom.volume, phantom.center_lps)
    assert _dice(found.body.to_full(), phantom.body_mask) > 0.95  # old and new: 0.976


@pytest.mark.realdata
def test_a_click_on_the_l2_lamina_of_the_lumbar_scan_is_refused(shared_data: Path) -> None:
    ct, _, _ = realdata._lumbar(str(shared_data))
    # wall_click_figures' "canal +10" of lumbar L2: 10 mm behind the canal centroid of the centroid click
    with pytest.raises(ClickNotInBodyError, match=BEHIND_WORDS):
        find_vertebra(ct, (23.7, 208.9, -39.7))


@pytest.mark.realdata
def test_a_click_in_front_of_a_dark_interior_finds_the_canal_behind_it(shared_data: Path) -> None:
    ct, sub, vert = realdata._lumbar(str(shared_data))
    truth = (vert == realdata.LUMBAR["L3"]) & np.isin(sub, [49, 50])
    centre = ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))
    found = find_vertebra(ct, centre + np.array([0.0, -5.0, 0.0]))
    reference = find_vertebra(ct, centre)
    # the centroid click's canal (24.2, 186.0, -65.2); the old code's "canal" lay at (30.1, 164.7, -64.7)
    shift = float(np.linalg.norm(np.subtract(found.canal_centroid_lps, reference.canal_centroid_lps)))
    assert shift < 3.0
    # against the labelled body (49, 50): the centroid click's body 0.909, the old code's 0.675
    assert _dice(found.body.to_full(), truth) >= _dice(reference.body.to_full(), truth) - 0.02
