"""Segmentation tools of the GUI: lesion and vertebra from a click, mask editing, lesion panel.

``install(window)`` adds them to a :class:`app.main_window.MainWindow` and returns the
:class:`app.segmentation.controller.SegmentationController`. Positions are LPS mm throughout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from app.segmentation.controller import SegmentationController


def install(window: MainWindow) -> SegmentationController:
    """Add the segmentation toolbar, menu, shortcuts and docks to ``window``."""
    from app.segmentation.controller import SegmentationController

    controller = SegmentationController(window)
    window.segmentation = controller  # type: ignore[attr-defined]
    return controller
