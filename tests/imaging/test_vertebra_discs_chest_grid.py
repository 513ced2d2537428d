"""Clicks anywhere in a lower thoracic body find that body between its two discs (QA s17 item 6).

Real chest CT (chest-ct-dicom: 0.977 mm pixels, 2 mm slices), T9-T12 (body centres z of
test_vertebra_pedicles_chest.BODY_Z_MM), clicked on a grid around each centre: z offsets of up to 6 mm
(about 4 mm from the endplates' ridges of these 21-24 mm tall bodies) and x / y offsets of 3 mm from
(-6, 120) mm, inside the body in front of its centroid (y 124-127). The discs are clear on the sagittal
view (a z-profile at (-6, 118): end plates at -106/-102, -132/-126, -154/-160 mm with 90-96 HU between).

Each click must give the body it is in (the click inside the body mask), no taller than one of these
bodies and no shorter: ``HEIGHT_RANGE_MM``. A body across a disc is 36-50 mm tall; one bounded by a dip
inside the body (taken for a disc) 15 mm.

On the old code the disc search dropped a disc whose endplate ridge lay within 3 mm of the click, and
bounded the body by the next disc beyond: z -135.5, -109.5, -99.5 and T9 z -62.5 were refused as 41-47
mm tall (two bodies). Near the scan's bottom (z -164.5) L1's endplate lay inside the ridge measure's
reach of the edge, so the T12/L1 disc showed one ridge and a dip inside T12 was taken for it.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.volume import Volume
from planning.proposals import mask_at_points
from tests.imaging.test_vertebra_pedicles_chest import BODY_Z_MM

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

LEVELS = ("T9", "T10", "T11", "T12")
#: the grid's centre in x, y (LPS mm): on the midline, in front of the bodies' centroids
CENTRE_XY_MM = (-6.0, 120.0)
#: clicks relative to (centre x, centre y, body centre z), mm: the z offsets of the grid at its centre,
#: and its 3 mm x / y offsets at its top and bottom rows (where the old code failed)
OFFSETS_MM = (
    (0.0, 0.0, -6.0),
    (0.0, 0.0, -3.0),
    (0.0, 0.0, 3.0),
    (0.0, 0.0, 6.0),
    (-3.0, 0.0, 6.0),
    (0.0, 3.0, 6.0),
    (3.0, 0.0, -6.0),
    (0.0, -3.0, -6.0),
)
#: one body's height (mm): these bodies measure 21-24 mm from their centres; adult T9-T12 bodies are
#: 20-25 mm tall, and 17-26 mm allows for the half-maximum edges on 2 mm slices
HEIGHT_RANGE_MM = (17.0, 26.0)


@pytest.mark.parametrize("level", LEVELS)
def test_clicks_in_a_body_find_it_between_its_discs(chest_ct: Volume, level: str) -> None:
    """From every click of the grid, the body holding the click, one body tall."""
    problems: list[str] = []
    for dx, dy, dz in OFFSETS_MM:
        click = np.array([CENTRE_XY_MM[0] + dx, CENTRE_XY_MM[1] + dy, BODY_Z_MM[level] + dz])
        try:
            anatomy = find_vertebra(chest_ct, click)
        except VertebraNotFoundError as exc:
            problems.append(f"{click}: refused: {exc}")
            continue
        height = anatomy.body_height_mm
        if not HEIGHT_RANGE_MM[0] <= height <= HEIGHT_RANGE_MM[1]:
            problems.append(f"{click}: body {height:.1f} mm tall")
        if not mask_at_points(anatomy.body, chest_ct, click)[0]:
            problems.append(f"{click}: not inside the body found (centroid {anatomy.body_centroid_lps})")
    assert not problems, f"{level}: " + "; ".join(problems)
