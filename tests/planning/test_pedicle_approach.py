"""A transpedicular needle's path from the skin to its pedicle stays on the pedicle's own side, off the
canal and off other bone (planning.pedicle_approach): the proposal takes the nearest line that does, or
says what its path crosses.

Phantom: the vertebra phantom's anatomy from its truth (tests/planning/test_proposals.py): its left axis
crosses nothing; a line to the same tip from 12 mm right of the canal's centre crosses the midline.
Real data: the sample case's T11 (click (-10, 125, -116)), whose traced left pedicle axis diverges: the
proposal on 1a9ae5d entered the skin 5.7 mm right of the canal's centre, through the spinous process.
Positions LPS mm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imaging.vertebra_model import Side
from planning.pedicle_approach import approach_crossings, midline_normal
from planning.proposals import propose_transpedicular
from tests.phantoms.vertebra import make_vertebra_phantom
from tests.planning.test_proposals import OD_13G, anatomy_from_truth, padded

ROOT = Path(__file__).resolve().parents[2]


def _phantom():  # type: ignore[no-untyped-def]
    ph = make_vertebra_phantom(spacing_mm=(1.0, 1.0, 1.0))
    return padded(ph), anatomy_from_truth(ph, "L3")


def test_the_phantoms_own_axis_crosses_nothing_and_a_line_from_the_other_side_crosses_the_midline() -> None:
    vol, anatomy = _phantom()
    axis = anatomy.pedicles[Side.LEFT]
    isthmus = np.asarray(axis.isthmus_lps)
    target = np.asarray(axis.axis_target_lps)
    u = (target - np.asarray(axis.axis_entry_lps)) / np.linalg.norm(target - np.asarray(axis.axis_entry_lps))
    # the axis itself, from well behind its entry: on the left, nothing crossed
    own = approach_crossings(vol, anatomy, axis, isthmus - 70.0 * u, target)
    assert own.clear, own
    # from behind the canal's centre, 12 mm to the right: through the lamina / spinous process
    start = np.asarray(anatomy.canal_centroid_lps) + np.array([-12.0, 60.0, 0.0])
    across = approach_crossings(vol, anatomy, axis, start, target)
    assert not across.clear
    assert across.entry_side_mm < 0.0 and across.midline_mm > 0.0
    assert "midline" in across.describe(Side.LEFT) and "right of" in across.describe(Side.LEFT)


def test_sample_case_t11_left_enters_on_the_left_clear_of_the_spinous_process() -> None:
    from imaging.load import load_volume
    from imaging.vertebra import find_vertebra

    vol = load_volume(ROOT / "resources" / "sample_case").volume
    anatomy = find_vertebra(vol, np.array((-10.0, 125.0, -116.0)))
    axis = anatomy.pedicles[Side.LEFT]
    p = propose_transpedicular(vol, anatomy, Side.LEFT, outer_diameter_mm=OD_13G, antenna_extension_mm=15.0)
    entry = np.asarray(p.entry_lps)
    assert (entry - np.asarray(anatomy.canal_centroid_lps)) @ midline_normal(anatomy, Side.LEFT) > 0.0
    crossed = approach_crossings(vol, anatomy, axis, entry, np.asarray(p.target_lps))
    assert crossed.clear, (crossed, p.warnings)
    assert any("midline" in w for w in p.warnings), p.warnings  # the turn is said, not silent
