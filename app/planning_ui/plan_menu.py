"""The Plan menu's commands with their keyboard shortcuts: propose, delete, compute, go to the next needle.

The operator's planning day is spent in the 2D views with a hand on the keyboard: every button of the
Needles dock that is used over and over has a menu item and a key here, and the Help menu's shortcut
overview (Ctrl+/, read from the menus) lists them. The keys were chosen against every shortcut the
window already had (File Ctrl+O / Ctrl+Shift+O / Ctrl+Alt+O / Ctrl+1-8 / Ctrl+S / Ctrl+Shift+S /
Ctrl+P / Ctrl+Shift+P / Ctrl+Q; Edit Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y; View F1-F5, F, C, D, Esc, Ctrl+0;
3D Shift+V / Shift+C / Shift+T; Help Ctrl+/; Segment L, V, B, E, Shift+B, Shift+L, [, ],
Ctrl+Shift+H / I / G / K; Plan N; the views' own keys: arrows, PageUp/PageDown, Home/End, R; Delete
in the lesion table):

* Propose left / right / bilateral / direct: Ctrl+Shift+L / R / B / D.
* Delete needle: Delete, only while the focus is in a view (2D, 3D, along the needle) or in the needle
  list. In a text or spin field Delete edits the text, and in the lesion table it deletes a lesion:
  deleting a needle there would surprise. One undo step (``RemoveTrajectory``).
* Compute cement and risk: Ctrl+Shift+C (the Cement and risk dock comes to the front).
* Next / previous needle: Ctrl+. / Ctrl+, ; next / previous target: Ctrl+Alt+. / Ctrl+Alt+, (comma
  and full stop are unshifted keys on the common layouts). The crosshair goes to the needle's tip or
  the target's lesion so the views show it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from planning.commands import RemoveTrajectory

if TYPE_CHECKING:
    from app.planning_ui.cement_panel import CementPanel
    from app.planning_ui.controller import PlanningController
    from app.planning_ui.trajectory_panel import TrajectoryPanel

__all__ = ["PROPOSE_KEYS", "PlanActions"]

#: proposal kind -> (menu text, key)
PROPOSE_KEYS: dict[str, tuple[str, str]] = {
    "left": ("Propose &left needle", "Ctrl+Shift+L"),
    "right": ("Propose &right needle", "Ctrl+Shift+R"),
    "bilateral": ("Propose &bilateral needles", "Ctrl+Shift+B"),
    "direct": ("Propose &direct needle", "Ctrl+Shift+D"),
}
DELETE_KEY = "Delete"
COMPUTE_CEMENT_KEY = "Ctrl+Shift+C"
NEXT_NEEDLE_KEY, PREVIOUS_NEEDLE_KEY = "Ctrl+.", "Ctrl+,"
NEXT_TARGET_KEY, PREVIOUS_TARGET_KEY = "Ctrl+Alt+.", "Ctrl+Alt+,"


class PlanActions(QObject):
    """The Plan menu's planning commands (``actions[key]``), added to ``menu`` and the window.

    Parameters
    ----------
    controller
        The window's planning controller (selection, case, pushes).
    panel, cement_panel, cement_dock
        The Needles dock's panel (proposals), the Cement and risk panel and its dock.
    menu
        The Plan menu.
    delete_scope
        The widgets in which (or in whose children) Delete deletes the selected needle.
    """

    def __init__(  # noqa: PLR0917 - the parts of the window the commands act on
        self,
        controller: PlanningController,
        panel: TrajectoryPanel,
        cement_panel: CementPanel,
        cement_dock: QDockWidget,
        menu: QMenu,
        delete_scope: Sequence[QWidget],
    ) -> None:
        super().__init__(controller)
        self.controller = controller
        self.cement_panel = cement_panel
        self.cement_dock = cement_dock
        window = controller.window
        self.actions: dict[str, QAction] = {}
        for kind, (text, key) in PROPOSE_KEYS.items():
            self._add(menu, f"propose_{kind}", text, key, lambda _=False, k=kind: panel.propose(k))
            button = panel.propose_buttons[kind]
            button.setToolTip(f"{button.toolTip()} ({_native(key)})")
        menu.addSeparator()
        delete = self._add(menu, "delete", "Delete needle", DELETE_KEY, self.delete_selected)
        # not a window shortcut: only where Delete means nothing else (see the module docstring)
        delete.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for widget in delete_scope:
            widget.addAction(delete)
        panel.delete_button.setToolTip(f"Delete the selected needle ({_native(DELETE_KEY)} in a view)")
        self._add(menu, "compute_cement", "&Compute cement and risk", COMPUTE_CEMENT_KEY, self.compute_cement)
        menu.addSeparator()
        self._add(menu, "next_needle", "Ne&xt needle", NEXT_NEEDLE_KEY, lambda: self.step_needle(1))
        self._add(
            menu, "previous_needle", "Pre&vious needle", PREVIOUS_NEEDLE_KEY, lambda: self.step_needle(-1)
        )
        self._add(menu, "next_target", "Next &target", NEXT_TARGET_KEY, lambda: self.step_target(1))
        self._add(
            menu, "previous_target", "Previous tar&get", PREVIOUS_TARGET_KEY, lambda: self.step_target(-1)
        )
        for key, action in self.actions.items():
            if key != "delete":  # the window would make Delete work in every field (see above)
                window.addAction(action)  # the keys work with the menu bar hidden or a dock floating
        controller.selection_changed.connect(self._update_enabled)
        controller.plan_changed.connect(self._update_enabled)
        self._update_enabled()

    # -- commands -------------------------------------------------------------------------------
    def delete_selected(self) -> None:
        """Delete the selected needle (one undo step)."""
        name = self.controller.selected
        if name is not None and name in self.controller.case.trajectories:
            self.controller.push(RemoveTrajectory(name))
            self.controller.window.statusBar().showMessage(f"{name} deleted (Ctrl+Z brings it back)", 6000)

    def compute_cement(self) -> None:
        """Compute the cement estimate and leakage risk of the selected target, its dock in front."""
        self.cement_dock.show()
        self.cement_dock.raise_()
        self.cement_panel.compute()

    def step_needle(self, step: int) -> None:
        """Select the needle ``step`` places after the selected one (wrapping); the crosshair to its tip."""
        names = list(self.controller.case.trajectories)
        if not names:
            return
        current = self.controller.selected
        index = names.index(current) + step if current in names else (0 if step > 0 else -1)
        name = names[index % len(names)]
        self.controller.select(name)
        traj = self.controller.trajectory(name)
        if traj is not None:
            self.controller.window.state.set_crosshair(traj.target_lps)
            self.controller.window.statusBar().showMessage(f"{name} selected", 4000)

    def step_target(self, step: int) -> None:
        """Select the target ``step`` places after the selected one (wrapping), and its first needle."""
        c = self.controller
        names = list(c.case.targets)
        if not names:
            return
        current = c.target()
        index = names.index(current.name) + step if current is not None else (0 if step > 0 else -1)
        name = names[index % len(names)]
        selected = c.trajectory()
        if selected is None or selected.target != name:
            needles = [t.name for t in c.case.trajectories.values() if t.target == name]
            c.select(needles[0] if needles else None)
        c.select_target(name)
        target = c.case.targets[name]
        if target.lesion_seed_lps is not None:
            c.window.state.set_crosshair(target.lesion_seed_lps)
        c.window.statusBar().showMessage(f"Target {name} selected", 4000)

    # -- helpers --------------------------------------------------------------------------------
    def _add(self, menu: QMenu, key: str, text: str, shortcut: str, slot: Callable[..., object]) -> QAction:
        action = QAction(text, self.controller.window)
        action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(text.replace("&", ""))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.actions[key] = action
        return action

    def _update_enabled(self) -> None:
        c = self.controller
        has_needles = bool(c.case.trajectories)
        self.actions["delete"].setEnabled(c.selected is not None)
        for key in ("next_needle", "previous_needle"):
            self.actions[key].setEnabled(has_needles)
        for key in ("next_target", "previous_target"):
            self.actions[key].setEnabled(bool(c.case.targets))


def _native(key: str) -> str:
    """A key sequence as the platform writes it (Del, Ctrl+Shift+L)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
