"""The workstation window: four linked views (axial, sagittal, coronal, 3D), menus, docks, status bar.

Positions shown are LPS mm, values HU. The window owns the display state (:class:`ViewerState`);
opening images is delegated to :class:`app.open_controller.OpenController`, the case (save, undo,
autosave) to :class:`app.case_controller.CaseController`, the menu bar (File > Recent, the shortcut
overview) to :class:`app.window_menus.WindowMenus`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import cast

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QImage,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QGridLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QScrollArea,
    QWidget,
)

from app.display_geometry import ViewAxis
from app.slice_view import SliceView
from app.status_bar import StatusBar
from app.viewer_state import ViewerState
from app.window_menus import MAX_RECENT, SHORTCUTS_KEY, VIEW_CONTROLS, WindowMenus
from app.wording import printable

__all__ = ["APP_NAME", "MAX_RECENT", "SHORTCUTS_KEY", "VIEW_CONTROLS", "MainWindow"]

APP_NAME = "OsteoPlan"
#: the widest custom window (and the farthest level) accepted, HU: several times the CT scale
#: (-1024 to 3071 HU); anything wider shows a uniform grey
MAX_WINDOW_HU = 10000.0
OPEN_HINT = "Open a CT: File > Open folder (Ctrl+O) or drop a folder here"
IMPORT_NOTES_TAIL = ": see the Import panel"
#: the window's size when it opens, in pixels
DEFAULT_WINDOW_SIZE = (1280, 900)
#: packages whose ``install(window)`` adds tools to the window, in menu order
EXTENSIONS = ("app.segmentation", "app.planning_ui")
#: grid position of each view: axial top left, sagittal top right, coronal bottom left, 3D bottom right
GRID = {ViewAxis.AXIAL: (0, 0), ViewAxis.SAGITTAL: (0, 1), ViewAxis.CORONAL: (1, 0)}


class MainWindow(QMainWindow):
    """The main window.

    Parameters
    ----------
    enable_3d
        Create the VTK 3D view (tests of 2D behaviour may turn it off to save time).
    settings
        Where recent files are remembered (QSettings; tests pass a temporary one).
    extensions
        Install the tool packages listed in ``EXTENSIONS`` (tests of the bare views turn it off).
    """

    def __init__(
        self, *, enable_3d: bool = True, settings: QSettings | None = None, extensions: bool = True
    ) -> None:
        from app.qt_guard import guard_pyside_refcount_bug

        guard_pyside_refcount_bug()  # before the first of many Qt calls (see app.qt_guard)
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.resize(*DEFAULT_WINDOW_SIZE)
        # a long message ends in "…" and is read whole in the tooltip (QA s30 D row 6)
        self.setStatusBar(StatusBar(self))
        self.settings = settings if settings is not None else QSettings("OsteoPlan", "OsteoPlan")
        self.state = ViewerState(self)
        self.views: dict[ViewAxis, SliceView] = {}
        self.maximised: QWidget | None = None
        self.import_warnings: list[str] = []

        central = QWidget()
        central.setObjectName("viewGrid")
        self.grid = QGridLayout(central)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(2)
        for axis, (row, col) in GRID.items():
            view = SliceView(self.state, axis)
            view.maximise_requested.connect(lambda v=view: self.toggle_maximise(v))
            view.cursor_info.connect(self._on_view_cursor_info)
            view.ruler_measured.connect(
                lambda mm: self.statusBar().showMessage(f"Distance {mm:.1f} mm", 5000)
            )
            self.grid.addWidget(view, row, col)
            self.views[axis] = view
        self.view3d: QWidget = self._make_3d_view(enable_3d)
        self.grid.addWidget(self.view3d, 1, 1)
        self.setCentralWidget(central)

        self.cursor_label = QLabel(OPEN_HINT)
        self.statusBar().addWidget(self.cursor_label, 1)
        self._build_docks()

        from app.case_controller import CaseController
        from app.open_controller import OpenController

        self.opener = OpenController(self)
        self.case = CaseController(self)
        self.menus = WindowMenus(self)
        self.menus.build()
        self.recent_menu = self.menus.recent_menu
        self.setAcceptDrops(True)
        self.state.volume_changed.connect(self._on_state_volume_changed)
        self.extensions: dict[str, object] = {}
        if extensions:
            self._install_extensions()

    # -- public ---------------------------------------------------------------------------------
    def open_path(self, path: Path | str) -> None:
        """Open a DICOM folder or file, a NIfTI/NRRD/MHA file, or a ``.osteoplan`` case."""
        path = Path(path)
        if path.suffix == ".osteoplan":
            self.case.open_case(path)
        elif self.case.confirm_close():  # a new image starts a new case: unsaved work is asked about
            self.opener.open_image(path)

    def add_recent(self, path: Path) -> None:
        """Remember a path in File > Recent (QSettings)."""
        self.menus.add_recent(path)

    def recent_paths(self) -> list[str]:
        """Recently opened paths, newest first."""
        return self.menus.recent_paths()

    def shortcut_list(self) -> str:
        """Every keyboard shortcut of the window, read from its actions, after the views' mouse controls.

        One line per menu: ``shortcut: command`` for each of its actions (the recent-files entries as one
        ``Ctrl+1-N`` item); see :meth:`app.window_menus.WindowMenus.shortcut_list`.
        """
        return self.menus.shortcut_list()

    def show_import_warnings(self, lines: list[str] | tuple[str, ...]) -> None:
        """List the import report's sentences in the non-modal warnings panel."""
        self.import_warnings = list(lines)
        self.warnings_list.clear()
        self.warnings_list.addItems(self.import_warnings)
        if self.import_warnings:
            self.warnings_dock.show()
            self.statusBar().showMessage(
                f"{len(self.import_warnings)} import note(s){IMPORT_NOTES_TAIL}", 8000
            )
        else:  # the notes shown were the last image's: their empty panel would only take room
            self.warnings_dock.hide()
            if self.statusBar().currentMessage().endswith(IMPORT_NOTES_TAIL):
                self.statusBar().clearMessage()

    def statusBar(self) -> StatusBar:
        """The window's :class:`app.status_bar.StatusBar`."""
        return cast(StatusBar, super().statusBar())

    def toggle_maximise(self, widget: QWidget | None = None) -> None:
        """Show one view alone, or all four again."""
        if widget is None:
            focus = self.focusWidget()
            widget = focus if focus in (*self.views.values(), self.view3d) else self.views[ViewAxis.AXIAL]
        every: list[QWidget] = [*self.views.values(), self.view3d]
        if self.maximised is widget:
            for w in every:
                w.show()
            self.maximised = None
        else:
            for w in every:
                w.setVisible(w is widget)
            self.maximised = widget

    def grab_window_image(self) -> QImage:
        """The whole window as an image, the 3D view composited in (QWidget.grab is black for VTK)."""
        from PySide6.QtGui import QPainter

        image = self.grab().toImage()
        grab3d = getattr(self.view3d, "grab_image", None)
        if callable(grab3d) and self.view3d.isVisible():
            picture = grab3d()
            if picture is not None and not picture.isNull():
                top_left = self.view3d.mapTo(self, self.view3d.rect().topLeft())
                ratio = image.devicePixelRatio()
                painter = QPainter(image)
                painter.drawImage(top_left, picture.scaled(self.view3d.size() * ratio))
                painter.end()
        return image

    def save_screenshot(self, path: Path | str, widget: QWidget | None = None) -> None:
        """Save the window (or one view) as PNG."""
        if widget is None:
            image = self.grab_window_image()
        else:
            grab3d = getattr(widget, "grab_image", None)
            image = grab3d() if callable(grab3d) else widget.grab().toImage()
        if not image.save(str(path)):
            raise OSError(f"could not write the screenshot {path}")

    # -- construction ---------------------------------------------------------------------------
    def _install_extensions(self) -> None:
        """Let the tool packages (segmentation, needle planning) add their menus, tools and docks.

        Each package has ``install(window)``; one missing from this checkout is skipped.
        """
        import importlib

        for name in EXTENSIONS:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name == name:
                    continue
                raise
            install = getattr(module, "install", None)
            if callable(install):
                self.extensions[name] = install(self)
        self._make_docks_scrollable()

    def _make_docks_scrollable(self) -> None:
        """Put each dock's contents in a scroll area.

        Tall panels (needle readouts, scores) would otherwise force a minimum window height larger
        than the screen; scrolled, the docks share the height and the window keeps its size.
        """
        for dock in self.findChildren(QDockWidget):
            content = dock.widget()
            if content is None or isinstance(content, QScrollArea):
                continue
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(content)
            dock.setWidget(scroll)
        # the layout fixed the window's minimum while the docks were still tall: let it go, and
        # return to the default size
        self.setMinimumSize(0, 0)
        self.resize(*DEFAULT_WINDOW_SIZE)

    def _make_3d_view(self, enable_3d: bool) -> QWidget:
        if enable_3d:
            from app.view3d import View3D

            return View3D(self.state)
        placeholder = QLabel("3D view off")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return placeholder

    def _build_docks(self) -> None:
        self.warnings_dock = QDockWidget("Import", self)
        self.warnings_dock.setObjectName("importDock")
        self.warnings_list = QListWidget()
        self.warnings_list.setWordWrap(True)
        self.warnings_dock.setWidget(self.warnings_list)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.warnings_dock)
        self.warnings_dock.hide()
        from app.layer_dock import LayerDock

        self.layer_dock = LayerDock(self.state, self, recolour=self.recolour_layer)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.layer_dock)

    def recolour_layer(self, name: str, rgb: tuple[int, int, int]) -> bool:
        """Recolour the case's layer ``name`` (one undo step; the views follow the case); False when the
        case holds no such layer. The Layers and Lesions docks both recolour through it."""
        if name not in self.case.case.layers:
            return False
        from planning.layer_commands import RecolorLayer

        if self.case.case.layers[name].color_rgb != tuple(rgb):
            self.case.push(RecolorLayer(name, rgb))
        return True

    # -- handlers -------------------------------------------------------------------------------
    def _on_open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a DICOM folder")
        if folder:
            self.open_path(folder)

    def _on_open_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Open an image", "", "Images (*.dcm *.nii *.nii.gz *.nrrd *.mha *.mhd);;All files (*)"
        )
        if name:
            self.open_path(name)

    def _on_screenshot_window(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save a screenshot", "osteoplan.png", "PNG (*.png)")
        if name:
            self.save_screenshot(name)

    def _on_screenshot_view(self) -> None:
        focus = self.focusWidget()
        widget = focus if focus in (*self.views.values(), self.view3d) else self.views[ViewAxis.AXIAL]
        name, _ = QFileDialog.getSaveFileName(
            self, "Save a screenshot of the view", "view.png", "PNG (*.png)"
        )
        if name:
            self.save_screenshot(name, widget)

    def _on_custom_window(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        text, ok = QInputDialog.getText(
            self,
            "Custom window",
            "Width and level in HU (e.g. 2000 500):",
            text=f"{self.state.window_hu:.0f} {self.state.level_hu:.0f}",
        )
        if not ok:
            return
        from app.dialogs import show_error

        parts = text.replace(",", " ").split()
        try:
            width, level = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            show_error(self, "Custom window", f"Type two numbers, width and level in HU; got {text!r}.")
            return
        ok = len(parts) == 2 and math.isfinite(width) and math.isfinite(level)
        if not (ok and 1 <= width <= MAX_WINDOW_HU and abs(level) <= MAX_WINDOW_HU):
            show_error(
                self,
                "Custom window",
                f"Type two numbers, a width of 1-{MAX_WINDOW_HU:g} HU and a level within "
                f"±{MAX_WINDOW_HU:g} HU; got {text!r}.",
            )
            return
        self.state.set_window(width, level)

    def _on_reset_views(self) -> None:
        for v in self.views.values():
            v.reset_view()

    def _on_centre_crosshair(self) -> None:
        d = self.state.display
        if d is not None:
            import numpy as np

            centre = (np.asarray(d.shape, dtype=float) - 1) / 2.0
            self.state.set_crosshair(d.volume.index_to_lps_points(np.floor(centre)))

    def _on_show_shortcuts(self) -> None:
        from app.dialogs import show_info

        show_info(self, "Keyboard shortcuts", self.shortcut_list())

    def _on_view_cursor_info(self, text: str) -> None:
        self.cursor_label.setText(text)

    def _on_state_volume_changed(self) -> None:
        d = self.state.display
        if d is None:
            self.setWindowTitle(APP_NAME)
            self.cursor_label.setText(OPEN_HINT)
            return
        desc = printable(d.source.metadata.description) or "CT"  # a line break in it broke the title
        self.setWindowTitle(f"{APP_NAME} — {desc} {d.source.shape[0]} slices")
        self.cursor_label.setText(
            f"Move the mouse over a view for HU, LPS position and slice · {SHORTCUTS_KEY}: keyboard shortcuts"
        )
        # an image (or a case, or a recovered case) just opened: the keys (V, L, N, Ctrl+S...) work at
        # once, in the axial view, without a click first; after the opening's own events and dialogs
        QTimer.singleShot(0, self, self.focus_axial_view)

    def focus_axial_view(self) -> None:
        """Give the keyboard focus to the axial view (the window's focus widget when it is not active)."""
        view = self.views[ViewAxis.AXIAL]
        if view.isVisible():
            view.setFocus(Qt.FocusReason.OtherFocusReason)
        else:  # another view maximised: the one shown
            shown = next((v for v in self.views.values() if v.isVisible()), None)
            if shown is not None:
                shown.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- Qt events ------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.open_path(urls[0].toLocalFile())
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.case.confirm_close():
            event.ignore()
            return
        self.opener.shutdown()
        self.case.shutdown()
        close3d = getattr(self.view3d, "shutdown", None)
        if callable(close3d):
            close3d()
        event.accept()
