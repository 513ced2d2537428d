"""Write any :class:`~imaging.volume.Volume` as a real DICOM CT series with pydicom.

Use it to feed a synthetic phantom through the real loader (``imaging.load.load_volume``)::

    from tests.phantoms.dicom_writer import write_dicom_series
    written = write_dicom_series(volume, tmp_path / "series", shuffle=True)
    loaded = load_volume(tmp_path / "series").volume
    # written.volume is the volume exactly as written (after flips, resampling and rescale
    # rounding): compare against it, or map your known LPS points, which never change.

Geometry: (0020,0032) Image Position and (0020,0037) Image Orientation (Patient) come from the
volume's ``index_to_lps`` (LPS mm): IOP[0:3] is the direction of increasing column index,
IOP[3:6] that of increasing row index, and slice ``k`` sits at ``index_to_lps @ (k, 0, 0, 1)``.
A sheared ``index_to_lps`` (slice step not normal to the image plane) is written as a gantry-tilted
series. HU values are stored as ``(HU - intercept) / slope`` (rounded; ``written.volume`` holds the
exact HU the files encode).

Options (all keyword-only) - each exercises one loader path:

* ``shuffle``: random file names and shuffled Instance Numbers (order must come from positions);
* ``drop_slices``: slice indices not written (a gap);
* ``feet_first`` / ``prone``: the same patient re-gridded as an FFS (slice order and columns
  reversed) or HFP (rows and columns reversed) acquisition - exact, no resampling;
* ``gantry_tilt_deg``: resample (linear) onto a grid whose image plane is tilted by this angle about
  the row direction while slices stay stacked along the original slice axis;
* ``oblique_deg`` / ``oblique_axis``: resample (linear) onto the grid rotated about its centre;
* ``compression``: ``None``, ``"rle"``, ``"jpeg2000"`` (lossless) or ``"jpegls"`` (lossless);
* ``enhanced``: one Enhanced CT multi-frame file with per-frame (0020,9113) Plane Position and
  (0028,9145) Pixel Value Transformation (``per_frame_rescale=True``) or shared ones;
* ``rescale_slope`` / ``rescale_intercept`` / ``signed``: storage encoding (``signed=None``, the
  default, stores unsigned unless a value below the intercept needs a sign);
* ``add_localizer``: one coronal LOCALIZER slice in the same series (``localizer_image_type=False``
  leaves ImageType AXIAL so only its orientation gives it away);
* ``add_non_image``: a Structured Report file (no pixel data) in the folder;
* ``modality``: e.g. ``"MR"`` to write a non-CT series; ``series_uid`` / ``study_uid`` /
  ``frame_of_reference_uid``: give two calls different series in one folder;
* ``dicomdir``: write through pydicom's FileSet (a DICOMDIR plus its folder hierarchy);
* ``implicit_vr``: Implicit VR Little Endian instead of Explicit.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    CTImageStorage,
    EnhancedCTImageStorage,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)
from scipy import ndimage

from imaging.volume import Volume

AIR_HU = -1000
_COMPRESSION = {"rle": RLELossless, "jpeg2000": JPEG2000Lossless, "jpegls": JPEGLSLossless}
_SR_STORAGE = "1.2.840.10008.5.1.4.1.1.88.22"  # Enhanced SR


@dataclass(frozen=True)
class WrittenSeries:
    """What :func:`write_dicom_series` wrote.

    Attributes
    ----------
    paths
        The files written (image files first; localizer / SR / DICOMDIR after them).
    series_uid
        (0020,000E) of the image series.
    volume
        The volume exactly as encoded in the files (after re-gridding, resampling, slice drops
        are NOT applied here: the grid is the full one) - HU after rescale rounding.
    slice_positions_lps
        IPP of every written slice, in written-slice order.
    """

    paths: tuple[Path, ...]
    series_uid: str
    volume: Volume
    slice_positions_lps: npt.NDArray[np.float64] = field(repr=False)


def write_dicom_series(
    volume: Volume,
    folder: Path | str,
    *,
    series_uid: str | None = None,
    study_uid: str | None = None,
    frame_of_reference_uid: str | None = None,
    description: str = "",
    modality: str = "CT",
    shuffle: bool = False,
    drop_slices: Sequence[int] = (),
    feet_first: bool = False,
    prone: bool = False,
    gantry_tilt_deg: float = 0.0,
    oblique_deg: float = 0.0,
    oblique_axis: tuple[float, float, float] = (1.0, 1.0, 0.3),
    compression: str | None = None,
    enhanced: bool = False,
    per_frame_rescale: bool = True,
    rescale_slope: float = 1.0,
    rescale_intercept: float = -1024.0,
    signed: bool | None = None,
    slice_thickness_mm: float | None = None,
    add_localizer: bool = False,
    localizer_image_type: bool = True,
    add_non_image: bool = False,
    dicomdir: bool = False,
    implicit_vr: bool = False,
    file_prefix: str = "IM",
    seed: int = 0,
) -> WrittenSeries:
    """Save ``volume`` as a DICOM CT series in ``folder`` (created if needed).

    Parameters
    ----------
    volume
        HU volume ``[slice, row, col]`` with its ``index_to_lps``.
    folder
        Output folder.
    (options)
        See the module docstring.

    Returns
    -------
    WrittenSeries
        Paths, series UID, and the volume as encoded.

    Raises
    ------
    ValueError
        For an unknown compression, or HU that do not fit the chosen storage.
    """
    out_dir = Path(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    vol = volume
    if feet_first:
        vol = _flip(vol, axes=(0, 2))
    if prone:
        vol = _flip(vol, axes=(1, 2))
    if gantry_tilt_deg:
        vol = _resample(vol, _tilted(vol.index_to_lps, gantry_tilt_deg))
    if oblique_deg:
        vol = _resample(vol, _rotated(vol.index_to_lps, vol.shape, oblique_deg, oblique_axis))
    if compression is not None and compression not in _COMPRESSION:
        raise ValueError(f'Argument "compression" must be one of {sorted(_COMPRESSION)}, got {compression!r}')

    hu = np.asarray(vol.array, dtype=np.float64)
    stored_f = np.rint((hu - rescale_intercept) / rescale_slope)
    if signed is None:  # unsigned (as most scanners) unless the values need a sign
        signed = bool(stored_f.size) and float(stored_f.min()) < 0
    dtype = np.int16 if signed else np.uint16
    info = np.iinfo(dtype)
    if stored_f.min() < info.min or stored_f.max() > info.max:
        raise ValueError(
            f"HU do not fit {dtype.__name__} with slope {rescale_slope}, intercept {rescale_intercept}"
        )
    stored = stored_f.astype(dtype)
    exact_hu = stored.astype(np.float64) * rescale_slope + rescale_intercept
    if float(rescale_slope).is_integer() and float(rescale_intercept).is_integer():
        exact = Volume(exact_hu.astype(np.int16), vol.index_to_lps, vol.frame_of_reference_uid, vol.metadata)
    else:
        exact = Volume(
            exact_hu.astype(np.float32), vol.index_to_lps, vol.frame_of_reference_uid, vol.metadata
        )

    series_uid = series_uid or generate_uid()
    study_uid = study_uid or generate_uid()
    for_uid = frame_of_reference_uid or vol.frame_of_reference_uid or generate_uid()
    m = vol.index_to_lps
    spacing = vol.spacing_mm
    col_dir = m[:3, 2] / spacing[2]  # increasing column index = IOP[0:3]
    row_dir = m[:3, 1] / spacing[1]  # increasing row index = IOP[3:6]
    iop = [float(v) for v in (*col_dir, *row_dir)]
    normal = np.cross(col_dir, row_dir)
    slice_step = abs(float(m[:3, 0] @ normal))  # spacing along the normal (less than the step if tilted)
    thickness = slice_step if slice_thickness_mm is None else slice_thickness_mm
    keep = [k for k in range(vol.shape[0]) if k not in set(drop_slices)]
    positions = np.array([m[:3, :3] @ np.array([k, 0.0, 0.0]) + m[:3, 3] for k in keep])
    position_str = "HFS"
    if feet_first:
        position_str = "FFS"
    if prone:
        position_str = "FFP" if feet_first else "HFP"
    common = {
        "study_uid": study_uid,
        "series_uid": series_uid,
        "for_uid": for_uid,
        "description": description or vol.metadata.description or "phantom",
        "modality": modality,
        "iop": iop,
        "pixel_spacing": [float(spacing[1]), float(spacing[2])],
        "thickness": thickness,
        "slope": rescale_slope,
        "intercept": rescale_intercept,
        "signed": signed,
        "patient_position": position_str,
    }
    ts = (
        _COMPRESSION[compression]
        if compression
        else (ImplicitVRLittleEndian if implicit_vr else ExplicitVRLittleEndian)
    )
    datasets: list[tuple[str, Dataset]] = []
    if enhanced:
        ds = _enhanced_dataset(stored[keep], positions, common, per_frame_rescale)
        datasets.append((f"{file_prefix}_enhanced.dcm", ds))
    else:
        order = list(range(len(keep)))
        instance_numbers = list(range(1, len(keep) + 1))
        if shuffle:
            rng.shuffle(instance_numbers)
        for n, k in zip(order, keep, strict=True):
            ds = _slice_dataset(stored[k], positions[n], instance_numbers[n], common)
            name = f"{rng.integers(0, 2**40):011x}.dcm" if shuffle else f"{file_prefix}{n + 1:04d}.dcm"
            datasets.append((name, ds))
    for _, ds in datasets:
        _finish(ds, ts, compression)
    extras: list[tuple[str, Dataset]] = []
    if add_localizer:
        loc = _localizer_dataset(vol, stored, common, localizer_image_type)
        _finish(loc, ExplicitVRLittleEndian, None)
        extras.append((f"{file_prefix}_localizer.dcm", loc))
    if add_non_image:
        extras.append((f"{file_prefix}_report.dcm", _sr_dataset(common)))
    paths: list[Path] = []
    if dicomdir:
        from pydicom.fileset import FileSet

        fs = FileSet()
        for _, ds in datasets + extras:
            fs.add(ds)
        fs.write(out_dir)
        paths = sorted(p for p in out_dir.rglob("*") if p.is_file())
    else:
        for name, ds in datasets + extras:
            path = out_dir / name
            ds.save_as(path, enforce_file_format=True)
            paths.append(path)
    return WrittenSeries(tuple(paths), series_uid, exact, positions)


# -- re-gridding ------------------------------------------------------------------------------


def _flip(vol: Volume, axes: Sequence[int]) -> Volume:
    """The same patient on a grid whose ``axes`` run the other way (exact)."""
    array = np.asarray(vol.array)
    m = vol.index_to_lps.copy()
    for a in axes:
        array = np.flip(array, axis=a)
        last = vol.shape[a] - 1
        m[:3, 3] = m[:3, 3] + m[:3, a] * last
        m[:3, a] = -m[:3, a]
    return replace(vol, array=np.ascontiguousarray(array), index_to_lps=m)


def _tilted(m: npt.NDArray[np.float64], tilt_deg: float) -> npt.NDArray[np.float64]:
    t = np.deg2rad(tilt_deg)
    out = m.copy()
    row_unit = m[:3, 1] / np.linalg.norm(m[:3, 1])
    slice_unit = m[:3, 0] / np.linalg.norm(m[:3, 0])
    out[:3, 1] = (row_unit * np.cos(t) + slice_unit * np.sin(t)) * np.linalg.norm(m[:3, 1])
    return out


def _rotated(
    m: npt.NDArray[np.float64],
    shape: tuple[int, int, int],
    angle_deg: float,
    axis: tuple[float, float, float],
) -> npt.NDArray[np.float64]:
    a = np.asarray(axis, dtype=np.float64)
    a /= np.linalg.norm(a)
    t = np.deg2rad(angle_deg)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    r = np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * (k @ k)
    centre_index = (np.asarray(shape, dtype=np.float64) - 1) / 2
    centre_lps = m[:3, :3] @ centre_index + m[:3, 3]
    out = np.eye(4)
    out[:3, :3] = r @ m[:3, :3]
    out[:3, 3] = centre_lps - out[:3, :3] @ centre_index
    return out


def _resample(vol: Volume, new_m: npt.NDArray[np.float64]) -> Volume:
    """Linear resampling of ``vol`` onto the grid ``new_m`` of the same shape (air outside)."""
    to_old = np.linalg.inv(vol.index_to_lps) @ new_m
    coords = np.indices(vol.shape, dtype=np.float64).reshape(3, -1)
    old = to_old[:3, :3] @ coords + to_old[:3, 3:4]
    values = ndimage.map_coordinates(
        np.asarray(vol.array, dtype=np.float32), old, order=1, mode="constant", cval=AIR_HU
    )
    array = np.rint(values).astype(np.int16).reshape(vol.shape)
    return replace(vol, array=array, index_to_lps=new_m)


# -- datasets ---------------------------------------------------------------------------------


def _base_dataset(common: dict[str, object], sop_class: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientName = "PHANTOM^SYNTHETIC"
    ds.PatientID = "PHANTOM0001"
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.StudyInstanceUID = common["study_uid"]
    ds.SeriesInstanceUID = common["series_uid"]
    ds.FrameOfReferenceUID = common["for_uid"]
    ds.StudyDate = _dt.date(2026, 1, 1).strftime("%Y%m%d")
    ds.StudyTime = "120000"
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.SeriesNumber = 1
    ds.Modality = common["modality"]
    ds.SeriesDescription = common["description"]
    ds.Manufacturer = "OsteoPlan test phantom"
    ds.PatientPosition = common["patient_position"]
    return ds


def _set_pixel_module(ds: Dataset, rows: int, cols: int, signed: bool) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1 if signed else 0


def _slice_dataset(
    pixels: npt.NDArray[np.integer], ipp: npt.NDArray[np.float64], number: int, c: dict[str, object]
) -> Dataset:
    ds = _base_dataset(c, CTImageStorage)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.InstanceNumber = number
    ds.ImagePositionPatient = [float(v) for v in ipp]
    ds.ImageOrientationPatient = c["iop"]
    ds.PixelSpacing = c["pixel_spacing"]
    ds.SliceThickness = c["thickness"]
    ds.RescaleIntercept = c["intercept"]
    ds.RescaleSlope = c["slope"]
    ds.RescaleType = "HU"
    ds.KVP = 120
    _set_pixel_module(ds, pixels.shape[0], pixels.shape[1], bool(c["signed"]))
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds


def _enhanced_dataset(
    frames: npt.NDArray[np.integer],
    positions: npt.NDArray[np.float64],
    c: dict[str, object],
    per_frame_rescale: bool,
) -> Dataset:
    ds = _base_dataset(c, EnhancedCTImageStorage)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.InstanceNumber = 1
    ds.NumberOfFrames = frames.shape[0]
    ds.ContentDate = "20260101"
    ds.ContentTime = "120000"
    _set_pixel_module(ds, frames.shape[1], frames.shape[2], bool(c["signed"]))
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = c["pixel_spacing"]
    measures.SliceThickness = c["thickness"]
    shared.PixelMeasuresSequence = DicomSequence([measures])
    orient = Dataset()
    orient.ImageOrientationPatient = c["iop"]
    shared.PlaneOrientationSequence = DicomSequence([orient])

    def transform() -> Dataset:
        t = Dataset()
        t.RescaleIntercept = c["intercept"]
        t.RescaleSlope = c["slope"]
        t.RescaleType = "HU"
        return t

    if not per_frame_rescale:
        shared.PixelValueTransformationSequence = DicomSequence([transform()])
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    per_frame = []
    for n, ipp in enumerate(positions):
        item = Dataset()
        pos = Dataset()
        pos.ImagePositionPatient = [float(v) for v in ipp]
        item.PlanePositionSequence = DicomSequence([pos])
        content = Dataset()
        content.InStackPositionNumber = n + 1
        item.FrameContentSequence = DicomSequence([content])
        if per_frame_rescale:
            item.PixelValueTransformationSequence = DicomSequence([transform()])
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(per_frame)
    ds.PixelData = np.ascontiguousarray(frames).tobytes()
    return ds


def _localizer_dataset(
    vol: Volume, stored: npt.NDArray[np.integer], c: dict[str, object], image_type: bool
) -> Dataset:
    """A coronal slice through the middle of the volume, as a scout would look."""
    coronal = np.ascontiguousarray(stored[::-1, stored.shape[1] // 2, :])
    ds = _slice_dataset(coronal, np.asarray(vol.origin_lps), 0, c)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER" if image_type else "AXIAL"]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]
    ds.PixelSpacing = [float(vol.spacing_mm[0]), float(vol.spacing_mm[2])]
    return ds


def _sr_dataset(c: dict[str, object]) -> Dataset:
    ds = _base_dataset({**c, "series_uid": generate_uid(), "modality": "SR"}, _SR_STORAGE)
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.InstanceNumber = 1
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def _finish(ds: Dataset, ts: str, compression: str | None) -> None:
    if compression is None:
        ds.file_meta.TransferSyntaxUID = ts
        return
    arr = np.frombuffer(ds.PixelData, dtype=np.int16 if ds.PixelRepresentation else np.uint16)
    n_frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    arr = arr.reshape((n_frames, ds.Rows, ds.Columns) if n_frames > 1 else (ds.Rows, ds.Columns))
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.compress(ts, arr)
