"""The needle tool of the 2D views (shortcut N): place a needle by two clicks, drag its ends.

Left press near an entry or tip handle (within :data:`PICK_DISTANCE_PX` of where it projects on the
view) starts a drag: every move pushes a ``MoveTrajectoryEntry`` / ``MoveTrajectoryTarget`` with the
same ``drag_id`` so the whole drag is one undo step, and the crosshair follows the dragged point so
the other views show it. A press elsewhere sets the entry (first click) and then the tip (second
click) of a new needle for the selected target (``AddTrajectory``). Positions LPS mm, taken on the
slice shown (:meth:`SliceView.widget_to_lps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from app.planning_ui.needle_views import PICK_DISTANCE_PX
from planning.commands import AddTrajectory, MoveTrajectoryEntry, MoveTrajectoryTarget
from planning.errors import PlanningError
from planning.model import Approach, Trajectory, as_point

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

FloatArray = npt.NDArray[np.float64]
#: a needle shorter than this is refused (a double click, not a needle)
MIN_NEEDLE_MM = 1.0


class TrajectoryTool:
    """A :class:`app.viewer_state.MouseTool` placing and dragging needles."""

    def __init__(self, controller: PlanningController) -> None:
        self.controller = controller
        #: the entry clicked, waiting for the tip click
        self.pending_entry_lps: FloatArray | None = None
        self._drag: tuple[str, str, int] | None = None  # (trajectory, "entry" | "target", drag id)
        self.default_approach = Approach.DIRECT

    # -- MouseTool protocol ---------------------------------------------------------------------
    def press(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        """Start a drag on a handle, or place the entry / tip of a new needle."""
        hit = self.pick(view, event.position())
        if hit is not None:
            name, end = hit
            self._drag = (name, end, self.controller.new_drag_id())
            self.pending_entry_lps = None
            self.controller.select(name)
            return True
        if self.pending_entry_lps is None:
            self.pending_entry_lps = np.asarray(point_lps, dtype=np.float64)
            self.controller.window.statusBar().showMessage("Needle: now click the tip (Esc: cancel)", 8000)
            self.controller.window.state.overlays_changed.emit()
            return True
        entry = self.pending_entry_lps
        self.pending_entry_lps = None
        self.add_needle(entry, np.asarray(point_lps, dtype=np.float64))
        return True

    def move(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        """Move the dragged end (merged into one undo step)."""
        if self._drag is None:
            return self.pending_entry_lps is not None
        name, end, drag_id = self._drag
        traj = self.controller.trajectory(name)
        if traj is None:
            self._drag = None
            return True
        other = traj.target_lps if end == "entry" else traj.entry_lps
        if float(np.linalg.norm(np.asarray(point_lps) - np.asarray(other))) < MIN_NEEDLE_MM:
            return True
        command = (
            MoveTrajectoryEntry(name, as_point(point_lps), drag_id=drag_id)
            if end == "entry"
            else MoveTrajectoryTarget(name, as_point(point_lps), drag_id=drag_id)
        )
        self.controller.push(command)
        self.controller.window.state.set_crosshair(point_lps)
        return True

    def release(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        """End a drag."""
        was = self._drag is not None
        self._drag = None
        return was

    # -- helpers --------------------------------------------------------------------------------
    def pick(self, view: Any, pos: QPointF) -> tuple[str, str] | None:
        """The needle end whose handle is under ``pos`` in a view (selected needle first)."""
        best: tuple[float, str, str] | None = None
        trajs = list(self.controller.case.trajectories.values())
        trajs.sort(key=lambda t: t.name != self.controller.selected)
        for traj in trajs:
            for end, p in (("target", traj.target_lps), ("entry", traj.entry_lps)):
                w = view.lps_to_widget(p)
                dist = float(np.hypot(w.x() - pos.x(), w.y() - pos.y()))
                if dist <= PICK_DISTANCE_PX and (best is None or dist < best[0] - 1e-9):
                    best = (dist, traj.name, end)
        return None if best is None else (best[1], best[2])

    def add_needle(self, entry_lps: FloatArray, target_lps: FloatArray) -> str | None:
        """Add a needle from entry to tip for the selected target; returns its name (None: refused)."""
        c = self.controller
        if float(np.linalg.norm(target_lps - entry_lps)) < MIN_NEEDLE_MM:
            c.window.statusBar().showMessage("Needle not placed: the tip is where the entry is", 6000)
            return None
        target = c.target()
        target_name = target.name if target is not None else "unassigned"
        name = c.new_trajectory_name(target_name)
        previous = c.trajectory()
        kwargs: dict[str, Any] = {}
        if previous is not None:  # a new needle inherits the needle and device of the selected one
            kwargs = {
                "needle_gauge": previous.needle_gauge,
                "needle_length_mm": previous.needle_length_mm,
                "antenna_extension_mm": previous.antenna_extension_mm,
                "ablation": previous.ablation,
            }
        try:
            traj = Trajectory(
                name, target_name, self.default_approach, as_point(entry_lps), as_point(target_lps), **kwargs
            )
        except (PlanningError, ValueError) as exc:
            c.window.statusBar().showMessage(f"Needle not placed: {exc}", 8000)
            return None
        c.push(AddTrajectory(traj))
        c.select(name)
        c.window.statusBar().showMessage(f"{name} placed: drag its entry (E) or tip (T) handles", 6000)
        return name

    def cancel(self) -> None:
        """Forget a half-placed needle."""
        self.pending_entry_lps = None
        self._drag = None
        self.controller.window.state.overlays_changed.emit()

    def paint_pending(self, view: Any, painter: QPainter) -> None:
        """Overlay painter: the entry clicked so far."""
        if self.pending_entry_lps is None or view.state.display is None:
            return
        w = view.lps_to_widget(self.pending_entry_lps)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor("#00e5ff"), 2.0, Qt.PenStyle.DashLine))
        painter.drawEllipse(w, 6.0, 6.0)
