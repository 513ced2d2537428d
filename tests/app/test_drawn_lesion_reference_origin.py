"""A drawn lesion's reference bone is said to lie so far "from its centre", not "from the seed" (QA s31 C).

A lesion drawn with the brush has no seed: its figures are measured with the centre of its mask standing
for one (imaging.lesion_remeasure.measure_lesion_mask). On ab7d7e8 the Lesions dock's details line still read
"reference bone 186 HU in 3,633 voxels 5.3-20.2 mm from the seed" (its tooltip likewise), for a lesion that
nobody clicked. Sample case: the 87-voxel stroke mid-body at T9 of
tests/app/test_drawn_lesion_breach_sample.py. A clicked lesion keeps "from the seed"
(tests/app/test_lesion_basis_ui.py).
"""

from __future__ import annotations

from typing import Any

from tests.app.test_drawn_lesion_breach_sample import draw_t9_stroke
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)


def test_drawn_lesion_reference_is_from_its_centre(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    panel = draw_t9_stroke(window, qtbot)
    panel.select("Lesion 1")
    qtbot.waitUntil(lambda: "reference bone" in panel.details.text(), timeout=10_000)
    details = panel.details.text()
    assert " mm from its centre" in details and "from the seed" not in details, details
    tip = panel.details.toolTip()
    assert "mm from its centre (median" in tip and "mm from the seed" not in tip, tip
    window.case.undo_stack.setClean()
