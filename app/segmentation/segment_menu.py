"""The "Segment" menu and toolbar of the segmentation tools, their actions and keyboard shortcuts.

Tools (checkable, at most one down): Lesion L, Vertebra V, Brush B, Eraser E; sphere brush Shift+B;
brush radius [ and ] (by ``RADIUS_STEP_MM``); fill holes Ctrl+Shift+H, remove islands Ctrl+Shift+I,
grow Ctrl+Shift+G and shrink Ctrl+Shift+K (by the Mask editing dock's margin, mm). The window's Esc
(crosshair tool) also puts the segmentation tools down. Every action is added to the window, so its
shortcut works anywhere in the window.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from app.segmentation.edit_tools import RADIUS_STEP_MM, BrushShape

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from app.segmentation.controller import SegmentationController


def build_segment_actions(
    controller: SegmentationController,
) -> tuple[dict[str, QAction], QMenu, QToolBar]:
    """Make the segmentation actions and put them in a "Segment" menu and a toolbar of the window.

    Parameters
    ----------
    controller
        The segmentation controller whose tools, brush and operations the actions drive; its window
        receives the actions, the menu and the toolbar.

    Returns
    -------
    tuple of (dict of str to QAction, QMenu, QToolBar)
        The actions by key (``lesion``, ``vertebra``, ``brush``, ``eraser``, ``sphere``,
        ``draw_lesion``, ``smaller``, ``larger``, ``fill_holes``, ``remove_islands``, ``grow``,
        ``shrink``), the menu and the toolbar.
    """
    window = controller.window
    actions: dict[str, QAction] = {}
    add = partial(_action, window, actions)
    tools = QActionGroup(controller)
    # Exclusive: a tool's key (or button) selects it and never puts it down (B while painting kept the
    # brush before, not turned it off); Esc goes back to the crosshair, as another tool's key switches
    tools.setExclusionPolicy(QActionGroup.ExclusionPolicy.Exclusive)
    for key, text, shortcut, tip, tool in (
        (
            "lesion",
            "Lesion",
            "L",
            "Click a lesion to segment it; Shift+drag first to limit it to a box",
            controller.lesion_tool,
        ),
        (
            "vertebra",
            "Vertebra",
            "V",
            "Click in a vertebral body to find body, canal, wall and pedicles",
            controller.vertebra_tool,
        ),
        (
            "brush",
            "Brush",
            "B",
            "Paint the selected layer (disc in the view, or sphere)",
            controller.brush_tool,
        ),
        ("eraser", "Eraser", "E", "Erase from the selected layer", controller.eraser_tool),
    ):
        act = add(
            key,
            text,
            shortcut,
            tip,
            lambda checked, t=tool: controller.activate(t if checked else None),
            checkable=True,
        )
        tools.addAction(act)
    add(
        "sphere",
        "3D sphere brush",
        "Shift+B",
        "Brush and eraser paint a sphere instead of a disc",
        lambda checked: controller.set_brush_shape(BrushShape.SPHERE if checked else BrushShape.DISC),
        checkable=True,
    )
    add(
        "draw_lesion",
        "Draw a lesion",
        "Shift+L",
        "Add an empty lesion at the crosshair (tied to the vertebra there) and paint it with the brush: "
        "for a lesion a click does not find; its type and figures are measured from what you paint",
        controller.add_drawn_lesion,
    )
    add(
        "smaller",
        "Smaller brush",
        "[",
        "Brush radius - 0.5 mm",
        lambda: controller.set_brush_radius(controller.brush.radius_mm - RADIUS_STEP_MM),
    )
    add(
        "larger",
        "Larger brush",
        "]",
        "Brush radius + 0.5 mm",
        lambda: controller.set_brush_radius(controller.brush.radius_mm + RADIUS_STEP_MM),
    )
    add(
        "fill_holes",
        "Fill holes",
        "Ctrl+Shift+H",
        "Fill the holes of the selected layer (in 3D, or in the slices chosen under Mask editing)",
        lambda: controller.run_operation(
            "fill_holes", plane=controller.edit_panel.fill_plane(), where=controller.edit_panel.fill_where()
        ),
    )
    add(
        "remove_islands",
        "Remove islands",
        "Ctrl+Shift+I",
        "Keep only the part under the crosshair (else the largest part) of the selected layer",
        lambda: controller.run_operation("remove_islands"),
    )
    add(
        "grow",
        "Grow",
        "Ctrl+Shift+G",
        "Grow the selected layer by the margin (mm)",
        lambda: controller.run_operation("grow", controller.edit_panel.margin_mm()),
    )
    add(
        "shrink",
        "Shrink",
        "Ctrl+Shift+K",
        "Shrink the selected layer by the margin (mm)",
        lambda: controller.run_operation("shrink", controller.edit_panel.margin_mm()),
    )
    menu = window.menuBar().addMenu("&Segment")
    toolbar = QToolBar("Segmentation", window)
    toolbar.setObjectName("segmentationToolbar")
    for key in ("lesion", "vertebra", "brush", "eraser", "sphere"):
        menu.addAction(actions[key])
        toolbar.addAction(actions[key])
    menu.addAction(actions["draw_lesion"])
    menu.addSeparator()
    for key in ("smaller", "larger", "fill_holes", "remove_islands", "grow", "shrink"):
        menu.addAction(actions[key])
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    # the window's Esc (crosshair tool) also puts these tools down
    for action in window.findChildren(QAction):
        if action.shortcut() == QKeySequence("Esc") and action not in actions.values():
            action.triggered.connect(lambda: controller.activate(None))
    return actions, menu, toolbar


def _action(  # noqa: PLR0917 - the window, the dict it goes in, then the action's parts as in the table
    window: MainWindow,
    actions: dict[str, QAction],
    key: str,
    text: str,
    shortcut: str,
    tip: str,
    slot: Callable[..., Any],
    *,
    checkable: bool = False,
) -> QAction:
    action = QAction(text, window)
    action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(f"{tip} ({shortcut})")
    action.setStatusTip(tip)
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    window.addAction(action)
    actions[key] = action
    return action
