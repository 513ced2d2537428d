"""Minimal DICOM header pass: one :class:`FrameHeader` per image frame, no pixel data read.

Loading cost is header parsing (DESIGN.md), so each file is read once with pydicom up to (not into)
(7FE0,0010) Pixel Data, keeping only the tags the loader needs. For uncompressed little-endian files
the byte offset of the pixel values is recorded, so the pixel pass can read them straight into a
preallocated volume. Enhanced multi-frame files give one header per frame, with the per-frame
(0020,9113) Plane Position and (0028,9145) Pixel Value Transformation taking precedence over the
shared functional groups.

Each header also says whether the file's pixel data is all there (:mod:`imaging.dicom_integrity`), so a
file cut short is found here and left out by the series planner instead of failing the whole load.

A read dataset becomes frame headers in :mod:`imaging.dicom_frames` (where :class:`FrameHeader` is
defined; it stays importable from here).

Positions are DICOM patient coordinates (LPS, mm). Nothing here logs patient identifiers.
"""

from __future__ import annotations

import os
import stat
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pydicom
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from imaging.dicom_fastheader import read_fast_header
from imaging.dicom_frames import FastDataset, FrameHeader, frames_of
from imaging.dicom_integrity import coded_pixel_damage, read_error_reason
from imaging.errors import DicomImportError, ImportCancelledError
from imaging.report import ImportReport

#: transfer syntaxes whose pixel bytes can be read raw (little endian, not encapsulated, not deflated)
RAW_TRANSFER_SYNTAXES = frozenset({ImplicitVRLittleEndian, ExplicitVRLittleEndian})
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
#: what pydicom and the decoders raise on corrupt or truncated input (caught and named, never shown raw)
READ_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    OverflowError,
    RuntimeError,  # includes NotImplementedError (pydicom: unknown VR)
    struct.error,
    BytesLengthException,
    StopIteration,  # pydicom's frame generators on a corrupt encapsulated stream
    zlib.error,  # a deflated file cut short or corrupt
)
_PARSE_ERRORS: tuple[type[Exception], ...] = (InvalidDicomError, *READ_ERRORS)
CT_SOP_CLASSES = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.2",  # CT Image Storage
        "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT Image Storage
        "1.2.840.10008.5.1.4.1.1.2.2",  # Legacy Converted Enhanced CT
    }
)
_PIXEL_TAG_LE = b"\xe0\x7f\x10\x00"

_TAGS = [
    "SOPClassUID",
    "SeriesInstanceUID",
    "StudyInstanceUID",
    "FrameOfReferenceUID",
    "SeriesDescription",
    "SeriesNumber",
    "Modality",
    "ImageType",
    "AcquisitionNumber",
    "InstanceNumber",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
    "SliceThickness",
    "Rows",
    "Columns",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "RescaleSlope",
    "RescaleIntercept",
    "NumberOfFrames",
    "PatientPosition",
    "PatientName",
    "PatientID",
    "StudyDate",
    "BodyPartExamined",
    "ConvolutionKernel",
    "SharedFunctionalGroupsSequence",
    "PerFrameFunctionalGroupsSequence",
    "FloatPixelData",
    "DoubleFloatPixelData",
]


def iter_candidate_files(path: Path, report: ImportReport) -> list[Path]:
    """Files to look at under ``path``: a folder (recursive), a DICOMDIR's references, or one file.

    Raises
    ------
    DicomImportError
        If ``path`` does not exist.
    """
    if not path.exists():
        raise DicomImportError("no such file or folder", path)
    if path.is_file():
        if path.name.upper() == "DICOMDIR":
            return _dicomdir_files(path, report)
        return [path]
    files: list[Path] = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for name in sorted(names):
            if name.startswith("."):
                continue
            if name.upper() == "DICOMDIR":
                continue  # the index; its files are found by the walk itself
            candidate = Path(root) / name
            reason = _not_a_plain_file(candidate)
            if reason is not None:
                report.skip(str(candidate), reason)
                continue
            files.append(candidate)
    return files


def _not_a_plain_file(path: Path) -> str | None:
    """Why ``path`` (found by the walk) is not read, else None: a named pipe would block the reading for
    ever (QA s31 D: ``info`` on a folder holding one never returned), a device or socket is no file, and a
    link to nothing was reported as an unreadable DICOM header."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if path.is_symlink():
            return "a link to a file that does not exist"
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if not stat.S_ISREG(mode):
        return "not a regular file (a pipe, socket or device), not read"
    return None


def read_headers(
    files: list[Path],
    report: ImportReport,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[FrameHeader]:
    """Read the header of every file; non-DICOM and non-image files are recorded in ``report``.

    Raises
    ------
    ImportCancelledError
        When ``cancel`` is set.
    """
    headers: list[FrameHeader] = []
    not_dicom = 0
    n = len(files)
    step = max(1, n // 100)
    for i, f in enumerate(files):
        if cancel is not None and cancel.is_set():
            raise ImportCancelledError
        try:
            headers.extend(read_file_headers(f))
        except _NotDicomError:
            not_dicom += 1
            report.skip(str(f), "not a DICOM file")
        except DicomImportError as exc:
            report.skip(str(f), exc.reason)
        if progress is not None and (i % step == 0 or i == n - 1):
            progress((i + 1) / n)
    if not_dicom:
        report.warn(f"{not_dicom} file(s) are not DICOM and were ignored.")
    bare = len({h.path for h in headers if h.meta.get("no_preamble")})
    if bare:
        report.warn(
            f"{bare} file(s) have no DICOM preamble or file meta header (old ACR-NEMA style); "
            "their transfer syntax was detected from the data."
        )
    return headers


def _has_dicm_magic(path: Path) -> bool:
    try:
        with path.open("rb") as fp:
            fp.seek(128)
            return fp.read(4) == b"DICM"
    except OSError:
        return False


class _NotDicomError(Exception):
    pass


def read_file_headers(path: Path, *, fast: bool = True) -> list[FrameHeader]:
    """Headers of the image frame(s) in one file.

    ``fast`` tries :func:`imaging.dicom_fastheader.read_fast_header` first (classic little-endian
    files); anything it does not fully understand goes through pydicom.

    Raises
    ------
    DicomImportError
        For a DICOM file that is not an image (no pixel data, a DICOMDIR, a report) or whose header
        is truncated or corrupt; the reason names what is wrong.
    """
    parsed = read_fast_header(path) if fast else None
    if parsed is not None:
        values, fast_ts, offset, _, fast_size = parsed
        fast_ds = FastDataset(values)
        try:
            return frames_of(
                fast_ds, path, fast_ts, str(values.get("SOPClassUID", "")), raw_offset=offset, size=fast_size
            )
        except READ_ERRORS as exc:
            raise DicomImportError(f"malformed header value ({type(exc).__name__}: {exc})", path) from exc
    try:
        size = path.stat().st_size
        with path.open("rb") as fp:
            ds = pydicom.dcmread(fp, stop_before_pixels=True, specific_tags=_TAGS)
            tell = fp.tell()
            head = fp.read(12)
    except InvalidDicomError as exc:
        if _has_dicm_magic(path):
            raise DicomImportError("truncated or corrupt DICOM file (header unreadable)", path) from exc
        return _read_without_preamble(path)
    except READ_ERRORS as exc:
        reason = read_error_reason(exc) or f"unreadable or truncated DICOM header ({type(exc).__name__})"
        raise DicomImportError(reason, path) from exc
    try:
        return _classify(ds, path, tell=tell, head=head, size=size)
    except READ_ERRORS as exc:  # pydicom converts values lazily: corrupt ones fail here
        raise DicomImportError(f"malformed header value ({type(exc).__name__}: {_short(exc)})", path) from exc


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:160] if text else type(exc).__name__


def _read_without_preamble(path: Path) -> list[FrameHeader]:
    """A bare dataset without preamble and file meta (old ACR-NEMA style files on some CDs).

    Read only when it starts like one: an element of group 0008 in little-endian order. The transfer
    syntax is what pydicom detects from the first elements (implicit or explicit VR, little endian).
    """
    try:
        with path.open("rb") as fp:
            start = fp.read(8)
            if len(start) < 8 or start[:2] not in (b"\x08\x00", b"\x02\x00"):
                raise _NotDicomError
            fp.seek(0)
            size = path.stat().st_size
            ds = pydicom.dcmread(fp, stop_before_pixels=True, specific_tags=_TAGS, force=True)
            tell = fp.tell()
            head = fp.read(12)
        implicit, little = ds.original_encoding
        if not little:
            raise _NotDicomError
        ts = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
        frames = _classify(ds, path, tell=tell, head=head, size=size, ts_override=ts)
    except _NotDicomError:
        raise
    except _PARSE_ERRORS as exc:
        raise _NotDicomError from exc
    except DicomImportError as exc:
        raise _NotDicomError from exc
    return [replace(f, meta={**f.meta, "no_preamble": True}) for f in frames]


def _classify(
    ds: Any, path: Path, *, tell: int, head: bytes, size: int, ts_override: str | None = None
) -> list[FrameHeader]:
    """Frames of a pydicom-read header, or DicomImportError for a DICOM object that is not an image."""
    meta = getattr(ds, "file_meta", None)
    ts = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    ts = ts_override or ts
    sop = str(
        ds.get("SOPClassUID", "") or (meta.get("MediaStorageSOPClassUID", "") if meta is not None else "")
    )
    if sop == DICOMDIR_SOP_CLASS:
        raise DicomImportError("a DICOMDIR index, not an image", path)
    if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
        raise DicomImportError("float pixel data (not a CT image)", path)
    has_pixels = head[:4] in (_PIXEL_TAG_LE, b"\x7f\xe0\x00\x10")
    if not has_pixels and ts != "1.2.840.10008.1.2.1.99":  # deflated: cannot peek, decode will tell
        if sop in CT_SOP_CLASSES:  # a CT image always has pixels: this one is cut short or incomplete
            raise DicomImportError(
                "truncated or incomplete: a CT image file that ends without its (7FE0,0010) Pixel Data", path
            )
        modality = str(ds.get("Modality", "") or "")
        kind = f"a non-image {modality} object" if modality else "a non-image object"
        raise DicomImportError(f"no (7FE0,0010) Pixel Data ({kind})", path)
    raw_offset: int | None = None
    damage: str | None = None
    if ts in RAW_TRANSFER_SYNTAXES:
        header_len = 8 if ts == ImplicitVRLittleEndian else 12
        value_len = int.from_bytes(head[header_len - 4 : header_len], "little")
        if value_len != 0xFFFFFFFF:  # defined length: plain values follow the element header
            raw_offset = tell + header_len
    elif has_pixels:
        damage = coded_pixel_damage(path, element_offset=tell, head=head, ts=ts, size=size)
    return frames_of(ds, path, ts, sop, raw_offset=raw_offset, size=size, damage=damage)


def _dicomdir_files(path: Path, report: ImportReport) -> list[Path]:
    try:
        ds = pydicom.dcmread(path)
    except _PARSE_ERRORS as exc:
        raise DicomImportError(f"unreadable DICOMDIR ({type(exc).__name__})", path) from exc
    root = path.parent
    files: list[Path] = []
    try:
        for record in ds.get("DirectoryRecordSequence", []):
            ref = record.get("ReferencedFileID")
            if not ref:
                continue
            parts = [ref] if isinstance(ref, str) else list(ref)
            candidate = root.joinpath(*[str(p) for p in parts])
            if candidate.is_file():
                files.append(candidate)
            else:
                report.skip(str(candidate), "listed in the DICOMDIR but missing on disk")
    except _PARSE_ERRORS as exc:
        raise DicomImportError(f"unreadable DICOMDIR ({type(exc).__name__})", path) from exc
    return files
