"""imaging.lesion_box.seed_in_box: the one test of a seed against a box, used by the lesion's box limit and
by the window before it starts a segmentation (they were two copies until session 32)."""

from __future__ import annotations

import pytest

from imaging.lesion_box import seed_in_box

BOX = ((-10.0, 20.0, -5.0), (10.0, 30.0, 5.0))


@pytest.mark.parametrize(
    ("seed", "inside"),
    [
        ((0.0, 25.0, 0.0), True),
        ((-10.0, 20.0, -5.0), True),  # the min corner: faces included
        ((10.0, 30.0, 5.0), True),  # the max corner
        ((10.01, 25.0, 0.0), False),
        ((0.0, 19.99, 0.0), False),
        ((0.0, 25.0, -5.01), False),
    ],
)
def test_seed_in_box_faces_included(seed: tuple[float, float, float], inside: bool) -> None:
    assert seed_in_box(seed, BOX) is inside
