"""Minimal DICOM header pass: one :class:`FrameHeader` per image frame, no pixel data read.

Loading cost is header parsing (DESIGN.md), so each file is read once with pydicom up to (not into)
(7FE0,0010) Pixel Data, keeping only the tags the loader needs. For uncompressed little-endian files
the byte offset of the pixel values is recorded, so the pixel pass can read them straight into a
preallocated volume. Enhanced multi-frame files give one header per frame, with the per-frame
(0020,9113) Plane Position and (0028,9145) Pixel Value Transformation taking precedence over the
shared functional groups.

Each header also says whether the file's pixel data is all there (:mod:`imaging.dicom_integrity`), so a
file cut short is found here and left out by the series planner instead of failing the whole load.

Positions are DICOM patient coordinates (LPS, mm). Nothing here logs patient identifiers.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pydicom
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from imaging.dicom_fastheader import read_fast_header
from imaging.dicom_integrity import coded_pixel_damage, raw_pixel_damage, read_error_reason
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


@dataclass(frozen=True)
class FrameHeader:
    """What the loader needs to know about one image frame (a classic slice or one enhanced frame).

    Geometry is ``None`` when the file lacks it; the series planner refuses such frames by name.
    ``pixel_damage`` says why the file's pixel data is incomplete (a file cut short), else None; the
    series planner leaves such files out and reports them.
    """

    path: str
    frame_index: int
    n_frames_in_file: int
    sop_class_uid: str
    series_uid: str
    study_uid: str
    frame_of_reference_uid: str
    description: str
    modality: str
    image_type: tuple[str, ...]
    instance_number: int | None
    position_lps: tuple[float, float, float] | None
    orientation: tuple[float, float, float, float, float, float] | None
    pixel_spacing_mm: tuple[float, float] | None
    slice_thickness_mm: float | None
    rows: int
    cols: int
    samples_per_pixel: int
    photometric: str
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    rescale_slope: float
    rescale_intercept: float
    transfer_syntax: str
    pixel_offset: int | None  # byte offset of this frame's values when readable raw, else None
    file_size: int
    patient_position: str
    meta: dict[str, Any]
    pixel_damage: str | None = None

    @property
    def frame_bytes(self) -> int:
        """Bytes of one uncompressed frame."""
        return self.rows * self.cols * self.samples_per_pixel * (self.bits_allocated // 8)

    @property
    def is_localizer(self) -> bool:
        """(0008,0008) Image Type says LOCALIZER (a scout / topogram)."""
        return "LOCALIZER" in self.image_type


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
            files.append(Path(root) / name)
    return files


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
        fast_ds = _FastDataset(values)
        try:
            return _frames(
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
        modality = str(ds.get("Modality", "") or "?")
        raise DicomImportError(f"no (7FE0,0010) Pixel Data (a non-image {modality} object)", path)
    raw_offset: int | None = None
    damage: str | None = None
    if ts in RAW_TRANSFER_SYNTAXES:
        header_len = 8 if ts == ImplicitVRLittleEndian else 12
        value_len = int.from_bytes(head[header_len - 4 : header_len], "little")
        if value_len != 0xFFFFFFFF:  # defined length: plain values follow the element header
            raw_offset = tell + header_len
    elif has_pixels:
        damage = coded_pixel_damage(path, element_offset=tell, head=head, ts=ts, size=size)
    return _frames(ds, path, ts, sop, raw_offset=raw_offset, size=size, damage=damage)


_MULTI_VALUED = frozenset({"ImageType", "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"})


class _FastDataset:
    """The few ``Dataset.get`` calls :func:`_frames` makes, over values from the fast header reader."""

    def __init__(self, values: dict[str, str | int]) -> None:
        self._values = values

    def get(self, keyword: str, default: Any = None) -> Any:
        value = self._values.get(keyword)
        if value is None or value == "":
            return default
        if keyword in _MULTI_VALUED and isinstance(value, str):
            return value.split("\\")
        return value

    def __contains__(self, keyword: str) -> bool:
        return keyword in self._values


def _floats(value: Any, n: int) -> tuple[float, ...] | None:
    if value is None or value == "":
        return None
    items = [value] if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") else list(value)
    vals = tuple(float(v) for v in items)
    return vals if len(vals) == n else None


def _first_item(seq_owner: Any, keyword: str) -> Any:
    seq = seq_owner.get(keyword) if seq_owner is not None else None
    if seq:
        return seq[0]
    return None


def _frames(
    ds: Any, path: Path, ts: str, sop: str, *, raw_offset: int | None, size: int, damage: str | None = None
) -> list[FrameHeader]:
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    shared = _first_item(ds, "SharedFunctionalGroupsSequence")
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    rows = int(ds.get("Rows", 0) or 0)
    cols = int(ds.get("Columns", 0) or 0)
    bits_allocated = int(ds.get("BitsAllocated", 16) or 16)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    image_type = tuple(str(v).upper() for v in (ds.get("ImageType") or ()))
    instance = ds.get("InstanceNumber")
    meta = {
        "patient_name": str(ds.get("PatientName", "") or ""),
        "patient_id": str(ds.get("PatientID", "") or ""),
        "study_date": str(ds.get("StudyDate", "") or ""),
        "body_part": str(ds.get("BodyPartExamined", "") or ""),
        "convolution_kernel": str(ds.get("ConvolutionKernel", "") or ""),
        "series_number": str(ds.get("SeriesNumber", "") or ""),
    }
    frame_bytes = rows * cols * samples * (bits_allocated // 8)
    if raw_offset is not None and damage is None and samples == 1:  # colour may be subsampled (422)
        damage = raw_pixel_damage(raw_offset, n_frames, frame_bytes, size)
    out: list[FrameHeader] = []
    for f in range(n_frames):
        item = per_frame[f] if per_frame is not None and f < len(per_frame) else None

        def lookup(seq_kw: str, kw: str, item: Any = item) -> Any:
            for group in (item, shared):
                inner = _first_item(group, seq_kw)
                if inner is not None and kw in inner:
                    return inner.get(kw)
            return ds.get(kw)

        position = _floats(lookup("PlanePositionSequence", "ImagePositionPatient"), 3)
        orientation = _floats(lookup("PlaneOrientationSequence", "ImageOrientationPatient"), 6)
        spacing = _floats(lookup("PixelMeasuresSequence", "PixelSpacing"), 2)
        thickness = lookup("PixelMeasuresSequence", "SliceThickness")
        slope = lookup("PixelValueTransformationSequence", "RescaleSlope")
        intercept = lookup("PixelValueTransformationSequence", "RescaleIntercept")
        offset = raw_offset + f * frame_bytes if raw_offset is not None else None
        out.append(
            FrameHeader(
                path=str(path),
                frame_index=f,
                n_frames_in_file=n_frames,
                sop_class_uid=sop,
                series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
                study_uid=str(ds.get("StudyInstanceUID", "") or ""),
                frame_of_reference_uid=str(ds.get("FrameOfReferenceUID", "") or ""),
                description=str(ds.get("SeriesDescription", "") or ""),
                modality=str(ds.get("Modality", "") or "").upper(),
                image_type=image_type,
                instance_number=int(instance) if instance not in (None, "") else None,
                position_lps=position,  # type: ignore[arg-type]
                orientation=orientation,  # type: ignore[arg-type]
                pixel_spacing_mm=spacing,  # type: ignore[arg-type]
                slice_thickness_mm=float(thickness) if thickness not in (None, "") else None,
                rows=rows,
                cols=cols,
                samples_per_pixel=samples,
                photometric=str(ds.get("PhotometricInterpretation", "") or ""),
                bits_allocated=bits_allocated,
                bits_stored=int(ds.get("BitsStored", bits_allocated) or bits_allocated),
                pixel_representation=int(ds.get("PixelRepresentation", 0) or 0),
                rescale_slope=float(slope) if slope not in (None, "") else 1.0,
                rescale_intercept=float(intercept) if intercept not in (None, "") else 0.0,
                transfer_syntax=ts,
                pixel_offset=offset,
                file_size=size,
                patient_position=str(ds.get("PatientPosition", "") or ""),
                meta=meta,
                pixel_damage=damage,
            )
        )
    return out


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
