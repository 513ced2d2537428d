"""The main window's menu bar: File (with File > Recent), Edit, View and Help, and the shortcut overview.

:class:`WindowMenus` builds the window's own menus (the tool packages add theirs in their ``install``),
remembers recently opened paths in the window's QSettings, and lists every keyboard shortcut read back
from the menus' actions (Help > Keyboard shortcuts). The commands themselves are the window's handlers
(:class:`app.main_window.MainWindow`), the case controller's and the viewer state's; nothing here holds
image data. Window presets are in HU.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from app.presets import load_presets
from app.viewer_state import Tool

if TYPE_CHECKING:
    from app.main_window import MainWindow

#: how many paths File > Recent keeps
MAX_RECENT = 8
#: how long "Undone: ..." stays in the status bar (as long as a tool's own sentence, app.segmentation.jobs)
STEP_MESSAGE_MS = 12_000
#: the Help menu's list of shortcuts
SHORTCUTS_KEY = "Ctrl+/"
#: what the slice views do with the mouse and the keys they handle themselves (not menu commands)
VIEW_CONTROLS = (
    "Views: wheel, Up/Down, PageUp/PageDown slices · Ctrl+wheel zoom · middle drag pan · "
    "right drag window/level · double-click maximise"
)


class WindowMenus(QObject):
    """The menus of a :class:`MainWindow`; :meth:`build` adds them to its menu bar.

    Signals
    -------
    step_said(str)
        "Undone: Brush on Lesion 1." or "Redone: ..." after Edit > Undo / Redo (or their keys), also shown
        in the status bar: the sentence the undone step left there ("Painted ... now 2.53 mL") no longer
        held once it was taken back (QA s28 G1); a tool package shows it in its own docks too.
    """

    step_said = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.recent_menu: QMenu | None = None

    # -- public ---------------------------------------------------------------------------------
    def action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[..., object],
        shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None,
        tip: str = "",
    ) -> QAction:
        """Add an action (owned by the window) to ``menu``, with its shortcut and status tip."""
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def build(self) -> None:
        """Add File, Edit, View, 3D (when the 3D view has actions) and Help to the window's menu bar."""
        win = self.window
        bar = win.menuBar()
        self._build_file_menu(bar.addMenu("&File"))

        keys = QKeySequence.StandardKey
        edit = bar.addMenu("&Edit")
        undo = win.case.undo_stack.createUndoAction(win, "&Undo")
        undo.setShortcut(QKeySequence(keys.Undo))
        redo = win.case.undo_stack.createRedoAction(win, "&Redo")
        # the platform's redo keys (Ctrl+Shift+Z here) and Ctrl+Y, which Windows users and 3D Slicer use
        redo_keys = [QKeySequence(keys.Redo), QKeySequence("Ctrl+Y")]
        redo.setShortcuts(list(dict.fromkeys(redo_keys)))
        edit.addAction(undo)
        edit.addAction(redo)
        # connected after the stack's own slot: the step has been taken back (or done again) when it is said
        undo.triggered.connect(lambda: self._say_step(undone=True))
        redo.triggered.connect(lambda: self._say_step(undone=False))

        self._build_view_menu(bar.addMenu("&View"))
        hook = getattr(win.view3d, "add_menu_actions", None)
        if callable(hook):
            hook(bar.addMenu("&3D"))
        help_menu = bar.addMenu("&Help")
        # not F1 (the platform's help key): F1-F4 are the window presets, and Qt fires neither action of an
        # ambiguous shortcut
        self.action(help_menu, "&Keyboard shortcuts", win._on_show_shortcuts, SHORTCUTS_KEY)

    def _say_step(self, *, undone: bool) -> None:
        """Say in the status bar which step Undo took back or Redo did again, and emit it."""
        stack = self.window.case.undo_stack
        text = stack.redoText() if undone else stack.undoText()
        said = f"{'Undone' if undone else 'Redone'}: {text}."
        self.window.statusBar().showMessage(said, STEP_MESSAGE_MS)
        self.step_said.emit(said)

    def add_recent(self, path: Path | str) -> None:
        """Remember a path in File > Recent (QSettings), newest first."""
        recent = [p for p in self.recent_paths() if p != str(path)]
        recent.insert(0, str(path))
        self.window.settings.setValue("recent", recent[:MAX_RECENT])
        self.fill_recent_menu()

    def recent_paths(self) -> list[str]:
        """Recently opened paths, newest first."""
        value = self.window.settings.value("recent", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in (value or [])]

    def fill_recent_menu(self) -> None:
        """List the recent paths in File > Recent, Ctrl+1 for the newest (up to Ctrl+9)."""
        menu = self.recent_menu
        if menu is None:
            return
        menu.clear()
        for i, path in enumerate(self.recent_paths()):
            self.action(
                menu,
                f"&{i + 1} {path}",
                lambda _=False, p=path: self.window.open_path(p),
                f"Ctrl+{i + 1}" if i < 9 else None,
            )
        menu.setEnabled(bool(self.recent_paths()))

    def shortcut_list(self) -> str:
        """Every keyboard shortcut of the window, read from its actions, after the views' mouse controls.

        One line per menu: ``shortcut: command`` for each of its actions (the recent-files entries as one
        ``Ctrl+1-N`` item).
        """
        lines = [VIEW_CONTROLS]
        for menu_action in self.window.menuBar().actions():
            menu = menu_action.menu()
            if not isinstance(menu, QMenu):
                continue
            items = self._menu_shortcuts(menu)
            if items:
                lines.append(f"{menu.title().replace('&', '')}: " + " · ".join(items))
        return "\n".join(lines)

    # -- private --------------------------------------------------------------------------------
    def _build_file_menu(self, file_menu: QMenu) -> None:
        win = self.window
        keys = QKeySequence.StandardKey
        self.action(file_menu, "Open &folder…", win._on_open_folder, keys.Open, "Open a DICOM folder")
        self.action(
            file_menu,
            "Open f&ile…",
            win._on_open_file,
            "Ctrl+Shift+O",
            "Open a DICOM, NIfTI, NRRD or MHA file",
        )
        self.action(
            file_menu, "Open &case…", win.case.on_open_case, "Ctrl+Alt+O", "Open a saved .osteoplan case"
        )
        self.recent_menu = file_menu.addMenu("&Recent")
        self.fill_recent_menu()
        file_menu.addSeparator()
        self.action(file_menu, "&Save case", win.case.save, keys.Save, "Save the case")
        self.action(
            file_menu, "Save case &as…", win.case.save_as, keys.SaveAs, "Save the case under a new name"
        )
        file_menu.addSeparator()
        self.action(file_menu, "Screenshot of the &window…", win._on_screenshot_window, "Ctrl+Shift+P")
        self.action(file_menu, "Screenshot of the &view…", win._on_screenshot_view, "Ctrl+P")
        file_menu.addSeparator()
        self.action(file_menu, "&Quit", win.close, keys.Quit)

    def _build_view_menu(self, view: QMenu) -> None:
        win = self.window
        group = QActionGroup(win)
        for preset in load_presets():
            act = self.action(
                view,
                f"{preset.name} window ({preset.width_hu:.0f}/{preset.level_hu:.0f})",
                lambda _=False, p=preset: win.state.apply_preset(p),
                preset.shortcut,
                f"Window {preset.width_hu:.0f} HU, level {preset.level_hu:.0f} HU",
            )
            act.setCheckable(True)
            group.addAction(act)
        self.action(
            view, "Custom window…", win._on_custom_window, "F5", "Type a window width and level in HU"
        )
        view.addSeparator()
        self.action(
            view,
            "&Maximise / restore view",
            lambda: win.toggle_maximise(None),
            "F",
            "Show the focused view alone, or all four (also: double-click a view)",
        )
        self.action(view, "Reset zoom and pan", win._on_reset_views, "Ctrl+0")
        self.action(view, "Centre crosshair", win._on_centre_crosshair, "C")
        tools = QActionGroup(win)
        cross = self.action(
            view,
            "Crosshair tool",
            lambda: win.state.set_tool(Tool.CROSSHAIR),
            "Esc",
            "Left click sets the crosshair",
        )
        ruler = self.action(
            view,
            "Ruler tool",
            lambda: win.state.set_tool(Tool.RULER),
            "D",
            "Left drag measures a distance in mm",
        )
        for act in (cross, ruler):
            act.setCheckable(True)
            tools.addAction(act)
        cross.setChecked(True)
        view.addSeparator()
        view.addAction(win.layer_dock.toggleViewAction())
        view.addAction(win.warnings_dock.toggleViewAction())

    def _menu_shortcuts(self, menu: QMenu) -> list[str]:
        """``shortcut: command`` for the actions of a menu and its submenus (recent files as one item)."""
        items: list[str] = []
        for action in menu.actions():
            sub = action.menu()
            if sub is not None and sub is self.recent_menu:
                keys = [_key_text(a) for a in self.recent_menu.actions() if not a.shortcut().isEmpty()]
                if keys:
                    last = keys[-1].rsplit("+", 1)[-1]
                    span = keys[0] if len(keys) == 1 else f"{keys[0]}-{last}"
                    items.append(f"{span}: open a recent folder, file or case")
            elif isinstance(sub, QMenu):
                items.extend(self._menu_shortcuts(sub))
            elif not action.shortcut().isEmpty():
                items.append(f"{_key_text(action)}: {action.text().replace('&', '').rstrip('…')}")
        return items


def _key_text(action: QAction) -> str:
    """An action's shortcut as the platform writes it."""
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
