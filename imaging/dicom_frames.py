"""One image frame's header (:class:`FrameHeader`) and how it is read from a DICOM dataset.

:mod:`imaging.dicom_scan` finds the files and reads each one's header up to (7FE0,0010) Pixel Data; this
module turns a read dataset (pydicom's, or the fast reader's values wrapped in :class:`FastDataset`) into
one :class:`FrameHeader` per frame. An enhanced multi-frame file's per-frame functional groups ((0020,9113)
Plane Position, (0028,9145) Pixel Value Transformation, ...) take precedence over its shared ones, and those
over the top-level attributes. For plain little-endian pixel values each frame's byte offset is recorded,
and a file too short for its frames, or a frame whose rescale gives no HU, is marked (``pixel_damage``), so
the series planner can leave it out.

Positions are DICOM patient coordinates (LPS, mm). Nothing here logs patient identifiers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imaging.dicom_integrity import raw_pixel_damage

__all__ = ["FastDataset", "FrameHeader", "frames_of", "is_unplaced", "rescale_damage"]

#: why a frame with usable pixels cannot be placed in its stack (``pixel_damage``): no position, or one
#: that is not a number. :mod:`imaging.series_damaged` leaves such a frame out only when the stack is
#: whole without it (its pixels exist, so a gap they could fill is refused, never interpolated).
NO_POSITION = "unusable: it has no (0020,0032) Image Position, so where its slice lay is unknown"
NAN_POSITION = "unusable: its (0020,0032) Image Position holds a value that is not a number"


@dataclass(frozen=True)
class FrameHeader:
    """What the loader needs to know about one image frame (a classic slice or one enhanced frame).

    Geometry is ``None`` when the file lacks it; the series planner refuses such frames by name.
    ``pixel_damage`` says why the frame cannot be used, else None: the file's pixel data is incomplete (a
    file cut short), the frame's rescale makes no HU of them (:func:`rescale_damage`), or its position is
    missing or not a number (:func:`is_unplaced`); the series planner leaves such frames out and reports
    them.
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


_MULTI_VALUED = frozenset({"ImageType", "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"})


class FastDataset:
    """The few ``Dataset.get`` calls :func:`frames_of` makes, over values from the fast header reader."""

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


def frames_of(
    ds: Any, path: Path, ts: str, sop: str, *, raw_offset: int | None, size: int, damage: str | None = None
) -> list[FrameHeader]:
    """One header per frame of a read dataset (pydicom's, or a :class:`FastDataset`): per-frame
    functional groups first, then the shared ones, then the top level; ``raw_offset`` is where the
    first frame's plain pixel values start (None when they are coded), ``damage`` why they are cut short."""
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
        "acquisition_number": str(ds.get("AcquisitionNumber", "") or ""),
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
        rescale_slope = float(slope) if slope not in (None, "") else 1.0
        rescale_intercept = float(intercept) if intercept not in (None, "") else 0.0
        offset = raw_offset + f * frame_bytes if raw_offset is not None else None
        # a position that is not a number is none (the frame is left out, where it lay said to be unknown)
        known_position = position if position is None or all(map(math.isfinite, position)) else None
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
                position_lps=known_position,  # type: ignore[arg-type]
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
                rescale_slope=rescale_slope,
                rescale_intercept=rescale_intercept,
                transfer_syntax=ts,
                pixel_offset=offset,
                file_size=size,
                patient_position=str(ds.get("PatientPosition", "") or ""),
                meta=meta,
                pixel_damage=damage
                or rescale_damage(rescale_slope, rescale_intercept)
                or _geometry_damage(position, orientation, spacing),
            )
        )
    return out


def _geometry_damage(
    position: tuple[float, ...] | None,
    orientation: tuple[float, ...] | None,
    spacing: tuple[float, ...] | None,
) -> str | None:
    """Why a frame's geometry cannot be used: no Image Position (one such slice refused its whole series in
    the base, QA s32 D), or a value that is not a finite number (an Image Position of NaN ended the base's
    planning of the series in an internal error, QA s31 D)."""
    if position is None:
        return NO_POSITION
    if not all(math.isfinite(v) for v in position):
        return NAN_POSITION
    for values, tag in (
        (orientation, "(0020,0037) Image Orientation"),
        (spacing, "(0028,0030) Pixel Spacing"),
    ):
        if values is not None and not all(math.isfinite(v) for v in values):
            return f"unusable: its {tag} holds a value that is not a number"
    return None


def is_unplaced(frame: FrameHeader) -> bool:
    """Whether ``frame`` was marked only for its position (its pixels themselves are usable)."""
    return frame.pixel_damage in (NO_POSITION, NAN_POSITION)


def rescale_damage(slope: float, intercept: float) -> str | None:
    """Why a frame's stored values cannot be turned into HU, else None: a (0028,1053) Rescale Slope of 0
    makes every pixel the intercept (a slice of -1024 HU in the middle of the volume, read without a word
    in the base, QA s31 D) and a slope or intercept that is not a finite number makes none a number."""
    if not math.isfinite(slope) or slope == 0.0:
        return f"unusable: its (0028,1053) Rescale Slope is {slope:g}, so its values cannot be turned into HU"
    if not math.isfinite(intercept):
        return f"unusable: its (0028,1052) Rescale Intercept is {intercept:g}, so its values are not HU"
    return None
