"""Needle planning GUI: needle tool, needle / zone drawing, views along the needle, planning docks.

``install(window)`` adds to a :class:`app.main_window.MainWindow`: the needle tool (shortcut N) and
its overlay painters, the needles and zones in the 3D view, the found pedicles' axes on every view
(:mod:`app.planning_ui.pedicle_axes`), the docks Needles, Along the needle,
Coverage, Cement & risk and Scores, and the Plan menu (propose, delete, compute, next / previous with
their keys: :mod:`app.planning_ui.plan_menu`). Positions LPS mm; see the modules for units.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from app.planning_ui.controller import PlanningController
from app.planning_ui.coverage_panel import CoveragePanel
from app.planning_ui.needle_views import Needle3DActors, NeedleResliceView, ResliceMode, paint_needles
from app.planning_ui.pedicle_axes import PedicleAxes3D, paint_pedicle_axes, taken_boxes
from app.planning_ui.plan_menu import PlanActions
from app.planning_ui.scores_panel import ScoresPanel
from app.planning_ui.trajectory_panel import TrajectoryPanel
from app.planning_ui.trajectory_tool import TrajectoryTool
from app.planning_ui.zones_overlay import OverlayMasks, paint_zones
from app.undo_keys import route_undo_to_case

if TYPE_CHECKING:
    from app.main_window import MainWindow

__all__ = ["PlanningUI", "install"]


class PlanningUI(QObject):
    """What :func:`install` added to a window (tests and other tools reach the parts through it)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = PlanningController(window)
        self.tool = TrajectoryTool(self.controller)
        self.overlays = OverlayMasks()
        state = window.state
        c = self.controller
        self._painters = [
            lambda view, painter: paint_zones(c, view, painter),
            self.overlays.paint,
            # under the needles, which are drawn over them
            lambda view, painter: paint_pedicle_axes(window, view, painter),
            lambda view, painter: paint_needles(c, view, painter),
            self.tool.paint_pending,
        ]
        state.overlay_painters.extend(self._painters)
        # the level names on the views keep clear of the pedicles' width labels and bars (QA s29 F6)
        state.keep_clear.append(lambda view: taken_boxes(window, view))

        self.tool_action = QAction("&Needle tool", window)
        self.tool_action.setShortcut(QKeySequence("N"))
        self.tool_action.setCheckable(True)
        self.tool_action.setToolTip("Click entry then tip in a 2D view; drag the E / T handles (N)")
        self.tool_action.toggled.connect(self._on_tool_action_toggled)
        # N selects the needle tool and never puts it down (a second N mid-placement dropped the entry
        # clicked), as the segmentation tools' keys; Esc or the Place button puts it down
        self._tool_group = QActionGroup(self)
        self._tool_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.Exclusive)
        self._tool_group.addAction(self.tool_action)
        window.addAction(self.tool_action)
        state.tool_changed.connect(self._on_state_tool_changed)

        self.trajectory_panel = TrajectoryPanel(c, self.tool_action)
        self.coverage_panel = CoveragePanel(c, self.overlays)
        from app.planning_ui.cement_panel import CementPanel

        self.cement_panel = CementPanel(c, self.overlays)
        self.scores_panel = ScoresPanel(c)
        self.in_plane = NeedleResliceView(c, ResliceMode.IN_PLANE)
        self.probe = NeedleResliceView(c, ResliceMode.PROBE)
        self.depth = QSlider(Qt.Orientation.Horizontal)
        self.depth.setRange(0, 200)
        self.depth.setToolTip("Depth of the probe's-eye view along the needle, mm from the entry")
        self.depth_label = QLabel("0 mm")
        along = QWidget()
        lay = QVBoxLayout(along)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.in_plane, 1)
        lay.addWidget(self.probe, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Depth"))
        row.addWidget(self.depth, 1)
        row.addWidget(self.depth_label)
        lay.addLayout(row)

        self.docks: dict[str, QDockWidget] = {}
        # One tab group on the right: docks on the left would squeeze the axial and coronal views.
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for key, title, widget in (
            ("needles", "Needles", self.trajectory_panel),
            ("along", "Along the needle", along),
            ("coverage", "Coverage", self.coverage_panel),
            ("cement", "Cement && risk", self.cement_panel),
            ("scores", "Scores", self.scores_panel),
        ):
            # "and", not "&": a tabbed dock's tab reads "&" as a mnemonic and shows "Cement _risk"
            dock = QDockWidget(title.replace("&&", "and"), window)
            dock.setObjectName(f"planning_{key}")
            dock.setWidget(widget)
            window.addDockWidget(right, dock)
            self.docks[key] = dock
        for panel in (self.coverage_panel, self.cement_panel):  # as the Needles dock does for itself
            route_undo_to_case(panel)
        keys = list(self.docks)
        for first, second in itertools.pairwise(keys):
            window.tabifyDockWidget(self.docks[first], self.docks[second])
        self.docks["needles"].raise_()

        menu = window.menuBar().addMenu("&Plan")
        menu.addAction(self.tool_action)
        # propose, delete, compute, next / previous: keys for the planning day (see plan_menu)
        self.plan_actions = PlanActions(
            c,
            self.trajectory_panel,
            self.cement_panel,
            self.docks["cement"],
            menu,
            [*window.views.values(), window.view3d, self.in_plane, self.probe, self.trajectory_panel.list],
        )
        menu.addSeparator()
        for dock in self.docks.values():
            menu.addAction(dock.toggleViewAction())

        self.actors3d = Needle3DActors(window.view3d)
        self.pedicle_axes3d = PedicleAxes3D(window)
        state.layers_changed.connect(self.pedicle_axes3d.update)
        c.plan_changed.connect(self._on_plan_changed)
        c.selection_changed.connect(self._on_plan_changed)
        # the reslices (20-50 ms) follow a drag once the event loop is idle, never inside a step
        self._reslice_timer = QTimer(self)
        self._reslice_timer.setSingleShot(True)
        self._reslice_timer.setInterval(0)
        self._reslice_timer.timeout.connect(self._refresh_reslices)
        state.window_changed.connect(self._reslice_timer.start)
        # a tab of the right column raised again shows reslices skipped while it lay under another
        self.docks["along"].visibilityChanged.connect(self._on_along_visibility_changed)
        state.volume_changed.connect(self._on_plan_changed)
        self.depth.valueChanged.connect(self._on_depth_value_changed)
        window.installEventFilter(self)
        # a step's message (a proposal's notes) goes when the operator moves on: the next change of the
        # case (undo and redo too), or another planning dock brought to the front (QA s30 D row 6)
        # (connected to the bar itself: Qt drops the connection when the bar goes with the window)
        window.case.undo_stack.indexChanged.connect(window.statusBar().end_step)
        for dock in self.docks.values():
            dock.visibilityChanged.connect(self._on_dock_visibility_changed)

    # -- handlers -------------------------------------------------------------------------------
    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            self.window.statusBar().end_step()

    def _on_tool_action_toggled(self, on: bool) -> None:
        state = self.window.state
        if on:
            state.set_mouse_tool(self.tool)
            self.window.statusBar().showMessage(
                "Needle tool: click the entry, then the tip; drag E / T handles", 8000
            )
        elif state.mouse_tool is self.tool:
            self.tool.cancel()
            state.set_mouse_tool(None)

    def _on_state_tool_changed(self) -> None:
        # another tool took the left button (or Esc chose the crosshair): the needle tool is off
        state = self.window.state
        if state.mouse_tool is not self.tool:
            if self.tool.pending_entry_lps is not None:
                self.tool.cancel()  # a half-placed needle (entry clicked, no tip yet) is dropped
            if self.tool_action.isChecked():
                self.tool_action.setChecked(False)
        elif state.mouse_tool is self.tool and state.tool.value != "crosshair":
            state.set_mouse_tool(None)

    def _on_plan_changed(self) -> None:
        self.window.state.overlays_changed.emit()
        traj = self.controller.trajectory()
        if traj is not None:
            self.depth.blockSignals(True)
            self.depth.setMaximum(int(traj.length_mm + traj.antenna_extension_mm + 0.999))
            self.depth.blockSignals(False)
            # a shorter needle or antenna (a drag, an undo, another needle selected) clamps the slider:
            # the probe's eye and the label follow it, not a depth beyond the antenna's tip (the reslice
            # timer below resamples it)
            self.probe.depth_mm = float(self.depth.value())
            self.depth_label.setText(f"{self.depth.value()} mm")
        self._reslice_timer.start()
        self.actors3d.update(self.controller)

    def _refresh_reslices(self) -> None:
        # only a reslice on screen: the dock is one tab of the right column and its views report
        # isVisible() under another tab too, where two 256 x 256 reslices cost 60-80 ms a drag step
        # on the chest CT for nothing (profiled: more than half of a step)
        for view in (self.in_plane, self.probe):
            if view.isVisible() and not view.visibleRegion().isEmpty():
                view.refresh()
            else:
                view.stale = True

    def _on_along_visibility_changed(self, visible: bool) -> None:
        if visible and (self.in_plane.stale or self.probe.stale):
            self._reslice_timer.start()

    def _on_depth_value_changed(self, value: int) -> None:
        self.probe.depth_mm = float(value)
        self.depth_label.setText(f"{value} mm")
        self.probe.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.controller.shutdown()
        return False


def install(window: MainWindow) -> PlanningUI:
    """Add the needle planning tools and docks to a main window; returns them."""
    ui = PlanningUI(window)
    window.planning_ui = ui  # type: ignore[attr-defined]
    return ui
