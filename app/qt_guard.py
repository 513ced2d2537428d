"""A guard against a reference-count bug of PySide6 6.12 on Python 3.11.

Measured here (PySide6-Essentials 6.12.0, CPython 3.11.7): every call of a Qt method returning
``void`` (``update()``, ``repaint()``, ``processEvents()``...) drops one reference to ``None``, and
emitting a signal drops references to ``True``/``False``; after some ten thousand calls CPython
aborts with "Fatal Python error: none_dealloc: deallocating None". PySide6 6.11.3 does not do this,
and on Python >= 3.12 these objects are immortal (PEP 683), so nothing happens there.

The real fix is to pin PySide6-Essentials to 6.11.x (or run on Python 3.12+). Until then
:func:`guard_pyside_refcount_bug` gives ``None``, ``True`` and ``False`` a very large reference
count, which is what Python 3.12 does for them: they are never deallocated in a healthy program.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger("osteoplan.gui")

#: added to the reference counts: ~1e12 leaked references before anything could go wrong
_BOOST = 1 << 40
_state = {"guarded": False}


def pyside_leaks_references() -> bool:
    """True on the measured bad combination: PySide6 6.12.x on CPython < 3.12."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    import PySide6

    return str(PySide6.__version__).startswith("6.12.")


def guard_pyside_refcount_bug() -> bool:
    """Make None, True and False effectively immortal when the bug is present; True if applied."""
    if _state["guarded"]:
        return True
    if not pyside_leaks_references():
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _BOOST
    _state["guarded"] = True
    log.info("PySide6 6.12 on Python 3.11: None/True/False reference counts guarded (pin PySide6 6.11)")
    return True
