"""A click on a disc near the front of the body is said to be on the disc (QA session 17 V, item 6).

Real chest CT (chest-ct-dicom: 0.977 mm pixels, 2 mm slices). The bodies' front lies at y 109-111 mm
at x -6 (their centroids at y 124-129); the QA's clicks at y 112 (and y 100, on the anterior lip at the
T12/L1 disc) lay on the discs but were refused as bodies 41-47 mm tall "whose end plates were not seen".
The disc's profile averages a column 6 mm in radius around the click, which from there reached out of
the body: at the discs' level it read the end plates' bright rims, beyond them the fat in front of the
waisted bodies, and the disc (146-200 HU) read brighter than the bone beyond (92-125 HU). Now the column
is moved into the body first.

Each click's disc must be the disc seen from the body's middle (y 118, the old code's answer there) to
within one slice, the click between its end plates to within half a slice; clicks in the bodies, and
one in the fat in front of a body's waist, lie on no disc.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.disc_click import disc_at_point
from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.volume import Volume

pytestmark = [pytest.mark.realdata]

DISC_WORDS = "the point is on the disc between two vertebrae"
#: the QA's clicks on discs from the front half of the bodies (LPS mm), each with the point on the same
#: disc seen from the body's middle (y 118, or y 112 at the T12/L1 disc, 7 mm above the scan's bottom:
#: chosen while the profile from y 118 still read the scan's padding as an end plate there; both give the
#: same disc since, tests/imaging/test_disc_scan_edge.py)
FRONT_CLICKS = (
    ((-5.9, 112.0, -104.5), (-5.9, 118.0, -104.5)),
    ((-8.0, 112.0, -105.5), (-8.0, 118.0, -104.5)),
    ((-5.8, 100.0, -154.5), (-5.8, 112.0, -155.5)),
    ((-8.0, 112.0, -81.5), (-8.0, 118.0, -81.5)),
)
#: in bodies at the front (the T11/T12 disc's lower end plate 3 mm above; T11's and T12's middles),
#: and in the fat 4 mm in front of T10's waist
NO_DISC = ((-6.0, 112.0, -135.5), (-6.0, 112.0, -118.0), (-6.0, 112.0, -140.0), (-6.0, 106.0, -93.0))


def test_clicks_on_discs_from_the_front_of_the_bodies_are_on_the_disc(chest_ct: Volume) -> None:
    slice_mm = float(max(chest_ct.spacing_mm))
    problems = []
    for click, middle in FRONT_CLICKS:
        found = disc_at_point(chest_ct, click)
        reference = disc_at_point(chest_ct, middle)
        assert reference is not None, middle
        if found is None:
            problems.append(f"{click}: no disc")
            continue
        low, up = found.lower_endplate_lps[2], found.upper_endplate_lps[2]
        if not low - 0.5 * slice_mm <= click[2] <= up + 0.5 * slice_mm:
            problems.append(f"{click}: not between its end plates {low:.1f}, {up:.1f}")
        if abs(low - reference.lower_endplate_lps[2]) > slice_mm or abs(
            up - reference.upper_endplate_lps[2]
        ) > (slice_mm):
            problems.append(
                f"{click}: end plates {low:.1f}, {up:.1f}, from the middle "
                f"{reference.lower_endplate_lps[2]:.1f}, {reference.upper_endplate_lps[2]:.1f}"
            )
    assert not problems, "; ".join(problems)
    for click in NO_DISC:
        assert disc_at_point(chest_ct, click) is None, click


def test_the_vertebra_search_from_the_front_of_a_disc_says_disc(chest_ct: Volume) -> None:
    with pytest.raises(VertebraNotFoundError, match=DISC_WORDS):
        find_vertebra(chest_ct, np.array(FRONT_CLICKS[0][0]))
