"""2D overlays of predicted ablation zones, uncovered target and cement-leakage risk zones.

Zones are spheroids (planning.ablation); on each 2D view their exact section by the slice plane is
drawn as an outline with a translucent fill (the union of all positions of all needles), labelled
"predicted". Masks that are derived results and not case layers (the uncovered part of lesion +
margin, the leakage-risk zones) are drawn from :class:`OverlayMasks`, converted once to the display
grid. Positions LPS mm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen

from app.display_geometry import VIEW_AXES
from app.planning_ui.geometry import zone_section
from app.planning_ui.needle_views import ZONE_COLOUR, zone_path
from app.planning_ui.segment_drawing import view_plane
from imaging.mask import Mask

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

ZONE_FILL_ALPHA = 60
UNCOVERED_COLOUR = QColor(255, 40, 40)


@dataclass
class MaskOverlay:
    """A derived mask drawn over the 2D views (display-grid box cached)."""

    name: str
    mask: Mask
    colour: QColor
    alpha: int = 90
    display_box: tuple[npt.NDArray[np.bool_], tuple[int, int, int]] | None = field(default=None, repr=False)


class OverlayMasks:
    """Named groups of derived masks (``"uncovered"``, ``"leakage"``) shown on the 2D views."""

    def __init__(self) -> None:
        self.groups: dict[str, list[MaskOverlay]] = {}
        self.visible: dict[str, bool] = {}

    def set_group(self, group: str, overlays: list[MaskOverlay]) -> None:
        """Replace the masks of a group."""
        self.groups[group] = overlays
        self.visible.setdefault(group, True)

    def paint(self, view: Any, painter: QPainter) -> None:
        """Overlay painter: the masks of the visible groups on a SliceView."""
        d = view.state.display
        if d is None:
            return
        for group, overlays in self.groups.items():
            if not self.visible.get(group, True):
                continue
            for ov in overlays:
                if ov.mask.grid_shape != d.source.shape:
                    continue
                if ov.display_box is None:
                    ov.display_box = d.mask_to_display(ov.mask)
                box, off = ov.display_box
                c = ov.colour
                view.paint_mask_box(painter, box, off, (c.red(), c.green(), c.blue(), ov.alpha))


def paint_zones(controller: PlanningController, view: Any, painter: QPainter) -> None:
    """Overlay painter: the union of every predicted zone's section by the view's slice plane."""
    if view.state.display is None or controller.volume is None:
        return
    point, normal, _ = view_plane(view)
    union = QPainterPath()
    labels: list[tuple[QPointF, str]] = []
    for zone in controller.all_zones():
        outline = zone_section(zone, point, normal)
        if outline is None:
            continue
        union = union.united(zone_path(view, outline))
        labels.append((view.lps_to_widget(outline[int(np.argmin(outline @ -_screen_up(view)))]), zone.source))
    if union.isEmpty():
        return
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    fill = QColor(ZONE_COLOUR)
    fill.setAlpha(ZONE_FILL_ALPHA)
    painter.setBrush(QBrush(fill))
    painter.setPen(QPen(ZONE_COLOUR, 1.5))
    painter.drawPath(union)
    painter.setPen(ZONE_COLOUR)
    painter.setFont(QFont("DejaVu Sans", 8))
    if labels:
        top = min(labels, key=lambda item: item[0].y())
        painter.drawText(top[0] + QPointF(-30, -4), "predicted")
    painter.setBrush(Qt.BrushStyle.NoBrush)


def _screen_up(view: Any) -> npt.NDArray[np.float64]:
    """LPS direction that points up the screen in a SliceView."""
    d = view.state.display
    r_axis = VIEW_AXES[view.view][1]
    down = d.volume.index_to_lps[:3, r_axis]
    out: npt.NDArray[np.float64] = -down / np.linalg.norm(down)
    return out
