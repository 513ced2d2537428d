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
    path: Path | None = None,
    case_path: Path | None = None,
    *,
    recover: bool = True,
    window: MainWindow | None = None,
) -> MainWindow:
    """Show the main window (``window``, else a new one), offer crash recovery, then open ``case_path``
    or ``path``.

    An autosave left by a crash is offered on every start, with or without a path (QA s16 #6: it was
    offered only without one, and a normal close then deleted it): one of another case or image is
    offered here, to open instead of the path; one of the case at ``case_path`` when that case opens
    (:meth:`app.case_controller.CaseController.open_case`).
    """
    window = window if window is not None else MainWindow()
    window.show()
    target = case_path if case_path is not None else path
    if recover and window.case.offer_recovery(opening=None if target is None else Path(target)) is not None:
        return window
    if target is not None:
        window.open_path(target)
    return window
