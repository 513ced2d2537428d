"""Exceptions raised by the imaging layer.

Each carries the data a caller needs to show a specific message (the file, the series, the reason).
Messages never contain patient identifiers.
"""

from __future__ import annotations

from pathlib import Path


class ImagingError(Exception):
    """Base class of every error the imaging layer raises on purpose."""


class DicomImportError(ImagingError):
    """A file or folder could not be read as image data.

    Parameters
    ----------
    reason
        A plain sentence saying what is wrong and, where possible, what to do.
    path
        The file or folder concerned, when there is one.
    """

    def __init__(self, reason: str, path: Path | str | None = None) -> None:
        self.reason = reason
        self.path = Path(path) if path is not None else None
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{reason}")


class NotAVolumeError(ImagingError):
    """A series was found but cannot be used as a CT volume (single slice, not CT, broken geometry).

    Parameters
    ----------
    reason
        Why the series is refused.
    series_uid
        (0020,000E) Series Instance UID of the refused series, when known.
    """

    def __init__(self, reason: str, series_uid: str | None = None) -> None:
        self.reason = reason
        self.series_uid = series_uid
        where = f"series {series_uid}: " if series_uid else ""
        super().__init__(f"{where}{reason}")


class ImportCancelledError(ImagingError):
    """The operator cancelled a long import; nothing was loaded."""

    def __init__(self) -> None:
        super().__init__("import cancelled")
