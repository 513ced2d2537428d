"""CT import: the public entry points every other feature loads images through.

``scan`` finds the series under a path (folder searched recursively, a single file, a DICOMDIR, or a
NIfTI / NRRD / MHA file) and says what each would become, without reading pixels. ``load_volume``
builds one :class:`~imaging.volume.Volume`: HU values on a grid placed in LPS millimetres, arrays
``[slice, row, col]``. ``save_volume`` writes a volume to NIfTI / NRRD / MHA with its geometry.

Policy (reading is lenient and says what it did; what cannot be used is refused by name):

* Slices are ordered by position along the slice normal; spacing comes from the positions.
* Gantry tilt is corrected by shifting each slice onto an orthogonal grid, with a warning giving the
  angle. Missing slices (a gap) and non-uniform spacing are resampled onto a uniform grid at the
  median spacing by linear interpolation, with a warning naming each gap (a gap wider than 10 mm and
  2.5 slice spacings is refused instead: too much anatomy would be invented); overlapping slices and
  duplicate positions are reported.
* Localizers, non-image objects and non-DICOM files are set aside and reported. A damaged file (cut
  short: its header or pixel data ends early) is left out of its series and named in the report; the
  series is built from the rest, so its slice becomes a gap (above) or, at an end, a shorter volume.
  Non-CT series, series with fewer than 2 usable slices (the slice spacing would be a guess), files
  without pixel spacing or position, and undecodable transfer syntaxes are refused with the file or
  series named. No geometry is ever defaulted: what a refused series' headers do not give (its slice
  spacing, its origin) is reported as unknown (NaN in ``SeriesInfo``, null in JSON), never 0.
* NIfTI / NRRD / MHA files (:mod:`imaging.image_files`): a file cut short, a NIfTI header that states no
  patient orientation, gives a voxel size of 0 or not a number, or invalid dimensions is refused by
  name; a negative NIfTI voxel size is read as the standard says, with a warning.
* HU = stored * slope + intercept, per frame; int16 when exact, else float32.
* A volume whose values look like a label map (whole numbers, none below 0, few distinct:
  :mod:`imaging.label_map`) is refused by name: its labels would be read as HU.
* A single classic slice given as the path is read together with the other files of its series in
  the same folder (as a viewer opens a series from one of its images), and the report says so.

Everything runs in the caller's thread with no global state (the GUI calls it from a worker);
``progress(fraction)`` reports 0..1 and a set ``cancel`` event raises ImportCancelledError.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imaging.dicom_frames import FrameHeader
from imaging.dicom_pixels import read_stored_frames, stored_to_hu
from imaging.dicom_scan import iter_candidate_files, read_headers
from imaging.dicom_series import FILL_HU, SeriesPlan, group_series
from imaging.errors import DicomImportError, ImportCancelledError, NotAVolumeError
from imaging.image_files import is_image_file, read_image, write_image
from imaging.label_map import label_map_reason
from imaging.report import ImportReport
from imaging.series_choice import choose_series, series_label
from imaging.series_without_uid import described, series_key
from imaging.tilt import resample_along_slices, shift_slices_inplace
from imaging.volume import SeriesMetadata, Volume, affine_from_geometry

Progress = Callable[[float], None]

#: share of the progress bar given to the header pass when loading
_SCAN_SHARE = 0.3


@dataclass(frozen=True)
class SeriesInfo:
    """A series' geometry as it will load, without pixels.

    ``shape`` is ``[slices, rows, cols]`` and ``spacing_mm`` ``[slice, row, col]`` of the volume that
    ``load_volume`` would return (after any tilt or spacing correction). ``direction`` is 3x3 with
    columns = row direction (IOP[0:3]), column direction (IOP[3:6]) and slice direction, in LPS (ITK
    x, y, z order); ``origin_lps`` is the centre of the first voxel. ``series_uid`` is what to pass
    back to ``load_volume`` (a suffix ``#n`` marks a further stack within one DICOM series).
    A series that cannot be loaded gives only the geometry its headers state: unknown spacing or
    origin values are NaN here and null in JSON (a warning says which), never 0.
    ``interpolated_slices`` are the 0-based indices along the volume's slice axis (``shape[0]``) that
    the loader makes up by interpolation (a gap of missing slices, or an uneven step; see
    :mod:`imaging.resampled_slices`), as the loaded ``Volume.interpolated_slices``.
    ``files`` are the series' files in slice order (each once; empty for a single image file), for
    showing a slice without loading the series; they are not part of the ``osteoplan info`` JSON.
    ``without_uid`` says, for a series whose files give no Series Instance UID, what tells it apart
    (its folder, Series and Acquisition Numbers; :func:`imaging.series_without_uid.described`), else "".
    """

    series_uid: str
    description: str
    modality: str
    shape: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]
    origin_lps: tuple[float, float, float]
    direction: tuple[tuple[float, ...], ...]
    warnings: tuple[str, ...]
    n_files: int
    loadable: bool
    refusal: str | None
    source: str
    interpolated_slices: tuple[int, ...] = ()
    files: tuple[str, ...] = field(default=(), compare=False)
    without_uid: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able dict (the ``osteoplan info`` contract)."""
        return {
            "series_uid": self.series_uid,
            "description": self.description,
            "modality": self.modality,
            "shape": list(self.shape),
            "spacing_mm": [_json_number(v) for v in self.spacing_mm],
            "origin_lps": [_json_number(v) for v in self.origin_lps],
            "direction": [list(r) for r in self.direction],
            "warnings": list(self.warnings),
            "loadable": self.loadable,
            "refusal": self.refusal,
            "n_files": self.n_files,
            "interpolated_slices": list(self.interpolated_slices),
        }


def _json_number(value: float) -> float | None:
    """A value for JSON: None (null) for an unknown (NaN) one, which JSON cannot hold."""
    return None if math.isnan(value) else float(value)


@dataclass(frozen=True)
class ScanResult:
    """Every series found and the import report."""

    series: tuple[SeriesInfo, ...]
    report: ImportReport


@dataclass(frozen=True)
class LoadResult:
    """The loaded volume and the import report."""

    volume: Volume
    report: ImportReport


def scan(
    path: Path | str,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ScanResult:
    """Find the series under ``path`` and plan their geometry (headers only).

    Parameters
    ----------
    path
        A folder (searched recursively), a DICOM file, a DICOMDIR, or a NIfTI / NRRD / MHA file.
    progress
        Called with the fraction done (0..1).
    cancel
        When set, the scan stops with ImportCancelledError.

    Returns
    -------
    ScanResult
        One SeriesInfo per series (loadable first), and the report.

    Raises
    ------
    DicomImportError
        If ``path`` does not exist or holds no DICOM image at all.
    ImportCancelledError
        When cancelled.
    """
    p = Path(path)
    if p.is_file() and is_image_file(p):
        notes: list[str] = []
        volume = read_image(p, notes)
        report = ImportReport()
        info = _info_from_volume(volume, p, tuple(notes))
        if progress is not None:
            progress(1.0)
        return ScanResult((info,), report)
    plans, report = _scan_plans(p, progress, cancel)
    return ScanResult(tuple(_info(plan) for plan in plans), report)


def load_volume(
    path: Path | str,
    series_uid: str | None = None,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> LoadResult:
    """Load one CT volume (HU, LPS geometry) from ``path``.

    Parameters
    ----------
    path
        A folder, a DICOM file, a DICOMDIR, or a NIfTI / NRRD / MHA file. A single classic slice
        brings the rest of its series from the same folder (reported).
    series_uid
        Which series to load (a ``SeriesInfo.series_uid`` from :func:`scan`). Needed when several
        loadable series are found. A NIfTI / NRRD / MHA file has none (``scan`` gives ""): any other
        value is refused.
    progress, cancel
        See :func:`scan`.

    Returns
    -------
    LoadResult
        The volume and the import report (what was skipped, corrected, or noticed).

    Raises
    ------
    DicomImportError
        No DICOM images found; a file cannot be read or decoded (names file and transfer syntax); an
        image file holds a label map.
    NotAVolumeError
        The series is not a usable CT volume (names the series and the reason; a label map among
        them), the requested series is absent (or one is requested from a NIfTI / NRRD / MHA file),
        or several series are found and ``series_uid`` is not given.
    ImportCancelledError
        When cancelled.
    """
    p = Path(path)
    if p.is_file() and is_image_file(p):
        if series_uid:
            # a series UID cannot choose within a single image file: refused, not ignored (a script's
            # wrong UID must not pass; QA session 21 F6). "" is what scan() gives such a file.
            raise NotAVolumeError(
                f"no series {series_uid} in {p}: a NIfTI / NRRD / MHA file holds one volume and no series "
                "UID; leave the series out"
            )
        image_notes: list[str] = []
        volume = read_image(p, image_notes)
        labels = label_map_reason(volume.array)
        if labels is not None:
            raise DicomImportError(labels, p)
        image_report = ImportReport()
        for w in image_notes:
            image_report.warn(w)
        if progress is not None:
            progress(1.0)
        return LoadResult(volume, image_report)

    def scan_progress(f: float) -> None:
        if progress is not None:
            progress(_SCAN_SHARE * f)

    plans, report = _scan_plans(p, scan_progress, cancel)
    plan = choose_series(plans, series_uid, p)
    for w in plan.warnings:
        report.warn(w)

    def pixel_progress(f: float) -> None:
        if progress is not None:
            progress(_SCAN_SHARE + (0.95 - _SCAN_SHARE) * f)

    notes: list[str] = []
    stored = read_stored_frames(
        plan.frames, warnings=notes, progress=pixel_progress, cancel=cancel, series_uid=plan.series_id
    )
    for n in notes:
        report.warn(n)
    hu = stored_to_hu(
        stored, [f.rescale_slope for f in plan.frames], [f.rescale_intercept for f in plan.frames]
    )
    del stored
    if plan.tilt_deg:
        shift_slices_inplace(hu, plan.inplane_shift_index, FILL_HU, cancel=cancel)
    if plan.resample_slices:
        hu = resample_along_slices(hu, plan.positions_mm, plan.shape[0], plan.spacing_mm[0], cancel=cancel)
    if cancel is not None and cancel.is_set():
        raise ImportCancelledError
    labels = label_map_reason(hu)
    if labels is not None:
        raise NotAVolumeError(labels, plan.series_id)
    matrix = affine_from_geometry(plan.origin_lps, plan.spacing_mm, np.asarray(plan.direction))
    h0 = plan.frames[0]
    meta = SeriesMetadata(
        series_uid=h0.series_uid,
        study_uid=h0.study_uid,
        description=h0.description,
        modality=h0.modality or "CT",
        patient_name=str(h0.meta.get("patient_name", "")),
        patient_id=str(h0.meta.get("patient_id", "")),
        study_date=str(h0.meta.get("study_date", "")),
        body_part=str(h0.meta.get("body_part", "")),
        convolution_kernel=str(h0.meta.get("convolution_kernel", "")),
        slice_thickness_mm=h0.slice_thickness_mm,
        patient_position=h0.patient_position,
        source_path=str(p),
        extra={"series_id": plan.series_id, "tilt_deg": plan.tilt_deg, "n_files": plan.n_files},
    )
    volume = Volume(hu, matrix, h0.frame_of_reference_uid, meta, plan.interpolated_slices)
    if progress is not None:
        progress(1.0)
    return LoadResult(volume, report)


def save_volume(volume: Volume, path: Path | str) -> None:
    """Write ``volume`` as ``.nii``, ``.nii.gz``, ``.nrrd`` or ``.mha``: exact geometry, HU values.

    Raises
    ------
    ValueError
        For another suffix or a non-orthogonal grid.
    """
    write_image(volume, Path(path))


# -- helpers ----------------------------------------------------------------------------------


def _scan_plans(
    path: Path, progress: Progress | None, cancel: threading.Event | None
) -> tuple[list[SeriesPlan], ImportReport]:
    report = ImportReport()
    files = iter_candidate_files(path, report)
    headers = read_headers(files, report, progress=progress, cancel=cancel)
    if path.is_file() and len(headers) == 1 and not headers[0].is_localizer:
        headers = _with_siblings(path, headers, report, cancel)
    if not headers:
        reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in report.skipped[:3])
        more = f" (and {len(report.skipped) - 3} more)" if len(report.skipped) > 3 else ""
        detail = f" ({reasons}{more})" if reasons else ""
        raise DicomImportError(
            f"no DICOM image found in {len(files)} file(s){detail}{_image_file_hint(files)}", path
        )
    plans = group_series(headers, report, source=str(path))
    if len(plans) > 1:
        report.warn(f"{len(plans)} series found: " + "; ".join(series_label(p, plans) for p in plans) + ".")
    for plan in plans:
        if plan.refusal is not None:
            report.warn(f"Series {plan.series_id} not loadable: {plan.refusal}.")
    return plans, report


def _image_file_hint(files: list[Path]) -> str:
    """When a folder without DICOM holds NIfTI/NRRD/MHA files: say to open one of them by its own path
    (a folder is read as a DICOM series; those formats are opened as files)."""
    images = [f for f in files if is_image_file(f)]
    if not images:
        return ""
    return (
        f". {len(images)} of them are NIfTI/NRRD/MHA image file(s): give the file itself instead of its "
        f"folder, e.g. {images[0]}"
    )


def _with_siblings(
    path: Path, headers: list[FrameHeader], report: ImportReport, cancel: threading.Event | None
) -> list[FrameHeader]:
    """One slice opened on its own: add the other slices of its series from the same folder (for a file
    without a Series Instance UID, those alike in the tags of
    :func:`imaging.series_without_uid.series_key`)."""
    key = series_key(headers[0])
    siblings = sorted(
        f for f in path.parent.iterdir() if f.is_file() and f != path and not f.name.startswith(".")
    )
    sibling_report = ImportReport()
    found = read_headers(siblings, sibling_report, cancel=cancel)
    same = [h for h in found if series_key(h) == key and not h.is_localizer]
    if same:
        report.warn(
            f"{path.name} is one slice of a series: the series' {len(same) + 1} files in its folder "
            "were read."
        )
        # a sibling too damaged to read its header may have been one of these slices: name it (other
        # files of the folder, not DICOM or not images, are none of this series' business)
        for skipped in sibling_report.skipped:
            if "truncated" in skipped.reason:
                report.skip(skipped.path, skipped.reason)
    return headers + same


def _info(plan: SeriesPlan) -> SeriesInfo:
    return SeriesInfo(
        series_uid=plan.series_id,
        description=plan.description,
        modality=plan.modality,
        shape=plan.shape,
        spacing_mm=plan.spacing_mm,
        origin_lps=plan.origin_lps,
        direction=plan.direction,
        warnings=plan.warnings,
        n_files=plan.n_files,
        loadable=plan.loadable,
        refusal=plan.refusal,
        source=plan.source,
        interpolated_slices=plan.interpolated_slices,
        files=tuple(dict.fromkeys(frame.path for frame in plan.frames)),  # slice order, each file once
        without_uid=described(plan.frames),
    )


def _info_from_volume(volume: Volume, path: Path, warnings: tuple[str, ...] = ()) -> SeriesInfo:
    d = volume.direction
    return SeriesInfo(
        series_uid="",
        description=path.name,
        modality="CT",
        shape=volume.shape,
        spacing_mm=volume.spacing_mm,
        origin_lps=volume.origin_lps,
        direction=tuple(tuple(float(v) + 0.0 for v in row) for row in d),  # no -0.0 in JSON
        warnings=warnings,
        n_files=1,
        loadable=True,
        refusal=None,
        source=str(path),
        interpolated_slices=volume.interpolated_slices,
    )
