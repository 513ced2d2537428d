"""The needle tool of the 2D views (shortcut N): place a needle by two clicks, drag its ends.

Left press near an entry or tip handle (within :data:`PICK_DISTANCE_PX` of where it projects on the
view) starts a drag: every move pushes a ``MoveTrajectoryEntry`` / ``MoveTrajectoryTarget`` with the
same ``drag_id`` so the whole drag is one undo step, and the crosshair follows the dragged point so
the other views show it. A press elsewhere sets the entry (first click) and then the tip (second
click) of a new needle for the selected target (``AddTrajectory``). Positions LPS mm; new ends are
taken on the slice shown (:meth:`SliceView.widget_to_lps`).

A dragged end keeps its depth: it moves only in the plane parallel to the view through its own
position, so an end drawn dashed (off the slice shown) can be grabbed and slid sideways without
jumping onto the slice (which silently changed the needle's angles and pedicle readouts). The
handle keeps its offset from the cursor at the press, so grabbing it a few pixels off-centre does
not make it jump either. The crosshair follows the cursor on the view's own slice.
"""

from __future__ import annotations

from dataclasses import dataclass
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
        self._drag: _Drag | None = None
        self.default_approach = Approach.DIRECT

    # -- MouseTool protocol ---------------------------------------------------------------------
    def press(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        """Start a drag on a handle, or place the entry / tip of a new needle."""
        hit = self.pick(view, event.position())
        if hit is not None:
            name, end = hit
            traj = self.controller.case.trajectories[name]
            press_lps = np.asarray(point_lps, dtype=np.float64)
            # the handle's offset from the cursor within the view's plane (its depth is kept apart)
            handle = at_depth_of(
                view, np.asarray(traj.entry_lps if end == "entry" else traj.target_lps), press_lps
            )
            self._drag = _Drag(name, end, self.controller.new_drag_id(), handle - press_lps)
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
        drag = self._drag
        traj = self.controller.trajectory(drag.name)
        if traj is None:
            self._drag = None
            return True
        moved, other = (
            (traj.entry_lps, traj.target_lps) if drag.end == "entry" else (traj.target_lps, traj.entry_lps)
        )
        # on the view's slice, where the cursor (plus the grab offset) is; then back to the end's depth
        on_slice = np.asarray(point_lps, dtype=np.float64) + drag.grab_offset_lps
        new_lps = at_depth_of(view, on_slice, np.asarray(moved, dtype=np.float64))
        if float(np.linalg.norm(new_lps - np.asarray(other))) < MIN_NEEDLE_MM:
            return True
        command = (
            MoveTrajectoryEntry(drag.name, as_point(new_lps), drag_id=drag.drag_id)
            if drag.end == "entry"
            else MoveTrajectoryTarget(drag.name, as_point(new_lps), drag_id=drag.drag_id)
        )
        self.controller.push(command)
        self.controller.window.state.set_crosshair(on_slice)
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


def at_depth_of(view: Any, point_lps: FloatArray, depth_lps: FloatArray) -> FloatArray:
    """``point_lps`` moved along a view's normal to the depth of ``depth_lps`` (LPS mm).

    For a :class:`app.slice_view.SliceView` the depth is the fractional slice index of ``depth_lps``
    in the view's display grid, so the result lies in the plane parallel to the view through
    ``depth_lps`` and projects where ``point_lps`` does. A view without a display grid (none open)
    returns ``point_lps`` unchanged.
    """
    d = getattr(getattr(view, "state", None), "display", None)
    axis = getattr(view, "view", None)
    if d is None or axis is None:
        return np.asarray(point_lps, dtype=np.float64)
    _, row, col = d.lps_to_pixel(axis, point_lps)
    index, _, _ = d.lps_to_pixel(axis, depth_lps)
    return np.asarray(d.pixel_to_lps(axis, index, row, col), dtype=np.float64)


@dataclass(frozen=True)
class _Drag:
    """One drag of a needle end: which end, its undo-merge id, and the handle's offset from the
    cursor at the press (LPS mm, in the view's plane)."""

    name: str
    end: str  # "entry" | "target"
    drag_id: int
    grab_offset_lps: FloatArray
