"""Start-up of the GUI: the QApplication, theme, exception hook, the main window and recovery."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow


def make_application() -> QApplication:
    """The QApplication (created once), with the dark theme and the top-level exception hook."""
    from app.dialogs import install_excepthook
    from app.qt_guard import guard_pyside_refcount_bug
    from app.theme import apply_dark_theme

    guard_pyside_refcount_bug()

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("OsteoPlan")
    app.setOrganizationName("OsteoPlan")
    apply_dark_theme(app)
    install_excepthook()
    return app


def start_window(
    path: Path | None = None, case_path: Path | None = None, *, recover: bool = True
) -> MainWindow:
    """Show the main window, offer crash recovery, then open ``case_path`` or ``path``."""
    window = MainWindow()
    window.show()
    if recover and case_path is None and path is None:
        window.case.offer_recovery()
    if case_path is not None:
        window.open_path(case_path)
    elif path is not None:
        window.open_path(path)
    return window
