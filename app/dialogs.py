"""Plain message dialogs and the top-level exception hook.

Every message the program shows goes through :func:`show_error`, :func:`show_info`,
:func:`ask_yes_no_cancel` or :func:`ask_choice`, so tests can replace them (monkeypatch) instead of
blocking on a modal box. The exception hook logs the traceback (no patient identifiers: only the
exception) and shows a plain sentence — never a traceback — to the operator.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

log = logging.getLogger("osteoplan.gui")


class Answer(StrEnum):
    """Answer to a save-before-closing question."""

    YES = "yes"
    NO = "no"
    CANCEL = "cancel"


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    """A modal warning box with a plain sentence."""
    QMessageBox.warning(parent, title, text)


def show_info(parent: QWidget | None, title: str, text: str) -> None:
    """A modal information box."""
    QMessageBox.information(parent, title, text)


def ask_yes_no_cancel(parent: QWidget | None, title: str, text: str) -> Answer:
    """Yes / No / Cancel question (e.g. save changes before closing)."""
    buttons = QMessageBox.StandardButton
    reply = QMessageBox.question(parent, title, text, buttons.Yes | buttons.No | buttons.Cancel, buttons.Yes)
    if reply == buttons.Yes:
        return Answer.YES
    if reply == buttons.No:
        return Answer.NO
    return Answer.CANCEL


def ask_choice(parent: QWidget | None, title: str, text: str, choices: tuple[str, ...]) -> str | None:
    """A question with named buttons (the first is the default); the chosen text, None if dismissed."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    buttons = [box.addButton(choice, QMessageBox.ButtonRole.ActionRole) for choice in choices]
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    if buttons:
        box.setDefaultButton(buttons[0])
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    for choice, button in zip(choices, buttons, strict=True):
        if clicked is button:
            return choice
    return None


def install_excepthook() -> None:
    """Route uncaught exceptions to the log and a plain message box."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("unexpected error", exc_info=(exc_type, exc, tb))
        if QApplication.instance() is not None:
            show_error(
                None,
                "Unexpected problem",
                f"Something went wrong ({exc_type.__name__}). The last action may not have completed; "
                "your case is autosaved. Details are in the log.",
            )

    sys.excepthook = hook
