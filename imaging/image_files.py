"""NIfTI / NRRD / MHA volumes read and written with SimpleITK.

SimpleITK (ITK) keeps geometry in LPS internally and converts NIfTI's RAS on the way in and out, so
RAS exists only inside this edge. Arrays are ``[slice, row, col]`` (``GetArrayFromImage`` order);
values are taken to be HU (CT exported by a viewer or a pipeline), int16 when integral and in range,
else float32.

Bad input (DESIGN.md, "Behaviour with bad input"): SimpleITK reads damaged NIfTI headers silently (no
orientation -> identity at the origin, a file cut short -> zeros, a zero voxel size -> 1 mm), so a
NIfTI file is checked first by :mod:`imaging.nifti_header` and a MetaImage file's data size by
:mod:`imaging.metaimage_check`; what cannot be used is refused with the file and the reason. A file
stating no patient orientation is refused, not loaded with a warning: left/right would be a guess,
and the policy allows no geometry quietly defaulted. After the read, the grid SimpleITK built is
compared with the one the NIfTI standard gives; where they differ (a negative pixdim beside an sform)
the standard's is used and a warning says so. SimpleITK's own warnings (multi-line text on standard
error) are switched off: what they say is checked here. Its exceptions become one-line messages
without its internal paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import SimpleITK as sitk  # noqa: N813 - the library's usual name

from imaging.errors import DicomImportError
from imaging.metaimage_check import check_metaimage_size, is_metaimage_path
from imaging.nifti_header import check_nifti, is_nifti_path, nonfinite_voxels
from imaging.series_plan import FILL_HU
from imaging.volume import SeriesMetadata, Volume, affine_from_geometry

#: file name endings handled here (lower case)
IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")
#: orthonormality tolerance of a direction matrix that a file format can store
_ORTHO_TOLERANCE = 1e-4
#: SimpleITK's grid agrees with the NIfTI header's when each axis step is within this (mm per voxel):
#: both come from the same float32 header numbers, so real files agree to about 1e-6 mm
_STEP_TOLERANCE_MM = 1e-4
#: ... and the first voxel's position within this (mm)
_ORIGIN_TOLERANCE_MM = 1e-3


def is_image_file(path: Path) -> bool:
    """True for a path ending in one of :data:`IMAGE_SUFFIXES`."""
    name = path.name.lower()
    return any(name.endswith(s) for s in IMAGE_SUFFIXES)


def read_image(path: Path, warnings: list[str] | None = None) -> Volume:
    """Read a NIfTI / NRRD / MHA file as a Volume (LPS geometry, HU values).

    Parameters
    ----------
    path
        The image file.
    warnings
        When given, plain sentences are appended for what was read leniently (a negative NIfTI
        voxel size, a grid taken from the NIfTI header rather than SimpleITK's).

    Raises
    ------
    DicomImportError
        When the file cannot be read, is damaged (header or data cut short, no patient orientation,
        a voxel size of 0 or not a number, invalid dimensions), or is not a 3D single-component image.
    """
    notes: list[str] = [] if warnings is None else warnings
    sitk.ProcessObject.SetGlobalWarningDisplay(False)  # type: ignore[no-untyped-call]  # see the docstring
    n_notes = len(notes)
    expected_lps = check_nifti(path, notes) if is_nifti_path(path) else None
    if is_metaimage_path(path):
        check_metaimage_size(path)
    try:
        image: Any = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise DicomImportError(_plain_reason(str(exc)), path) from exc
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise DicomImportError(
            f"not a 3D single-channel volume (dimension {image.GetDimension()}, "
            f"{image.GetNumberOfComponentsPerPixel()} component(s))",
            path,
        )
    array = sitk.GetArrayFromImage(image)
    if np.issubdtype(array.dtype, np.floating):
        _fill_nonfinite(path, array, notes)
    if (
        np.issubdtype(array.dtype, np.integer)
        and array.size
        and (int(array.min()) >= np.iinfo(np.int16).min and int(array.max()) <= np.iinfo(np.int16).max)
    ):
        array = array.astype(np.int16, copy=False)
    elif (
        np.issubdtype(array.dtype, np.floating)
        and array.size
        and np.all(np.isfinite(array))
        and (
            np.array_equal(array, np.round(array))
            and float(array.min()) >= np.iinfo(np.int16).min
            and float(array.max()) <= np.iinfo(np.int16).max
        )
    ):
        array = array.astype(np.int16)
    else:
        array = array.astype(np.float32, copy=False)
    sx, sy, sz = image.GetSpacing()
    direction = np.asarray(image.GetDirection(), dtype=np.float64).reshape(3, 3)
    matrix = affine_from_geometry(image.GetOrigin(), (sz, sy, sx), direction)
    if expected_lps is not None and not _same_grid(matrix, expected_lps):
        matrix = expected_lps
        if len(notes) == n_notes:  # not already explained by the header check
            notes.append(
                f"{path.name}: the image grid was taken from the NIfTI header as the standard reads it "
                "(a generic reader would place the image differently: check its orientation)"
            )
    meta = SeriesMetadata(description=path.name, modality="CT", source_path=str(path))
    return Volume(np.ascontiguousarray(array), matrix, "", meta)


def _fill_nonfinite(path: Path, array: npt.NDArray[np.floating[Any]], notes: list[str]) -> None:
    """Set the voxels a float file stores as NaN or infinity to :data:`FILL_HU` (as outside the scan), in
    place, and say how many: the base kept them as NaN (NRRD, MHA) or read them as 0 HU (NIfTI, whose
    C library zeroes them: :func:`imaging.nifti_header.nonfinite_voxels`), without a word (QA s31 D)."""
    bad = nonfinite_voxels(path, array) if is_nifti_path(path) else ~np.isfinite(array)
    if bad is None or bad.shape != array.shape or not bad.any():
        return
    array[bad] = FILL_HU
    notes.append(
        f"{path.name}: {int(bad.sum())} voxel(s) hold no number (NaN or infinity) in the file; they were "
        f"read as {FILL_HU:.0f} HU, as outside the scan"
    )


def write_image(volume: Volume, path: Path) -> None:
    """Write ``volume`` to ``path`` (format from the suffix), geometry exact, values unchanged.

    The file is written beside its target and renamed into place, so an interrupted write never
    leaves a half file under the final name.

    Raises
    ------
    ValueError
        For an unknown suffix, or a grid that is not orthogonal (formats store orthonormal directions).
    FileNotFoundError
        When the folder of ``path`` does not exist.
    OSError
        When the file cannot be made there, or the image library fails to write it (a full disk).
    """
    if not is_image_file(path):
        raise ValueError(f'Argument "path" must end in one of {", ".join(IMAGE_SUFFIXES)}, got {path.name!r}')
    d = volume.direction
    if not np.allclose(d.T @ d, np.eye(3), atol=_ORTHO_TOLERANCE):
        raise ValueError("the volume's grid is not orthogonal; NIfTI / NRRD / MHA cannot store it")
    image: Any = sitk.GetImageFromArray(np.asarray(volume.array))
    s = volume.spacing_mm
    image.SetSpacing((s[2], s[1], s[0]))
    image.SetOrigin(volume.origin_lps)
    image.SetDirection(tuple(float(v) for v in d.reshape(-1)))
    suffix = next(x for x in IMAGE_SUFFIXES if path.name.lower().endswith(x))
    tmp = path.with_name(f".{path.name}.partial{suffix}")
    if not path.parent.is_dir():  # no folder made on the caller's behalf
        raise FileNotFoundError(f"the folder {path.parent} does not exist")
    try:
        # opened here first, so a file that cannot be made is an OSError with its reason, not the image
        # library's exception text with its source paths after its C library's "** ERROR" line on
        # standard error (QA s31 D)
        try:
            tmp.open("wb").close()
        except OSError as exc:  # named by the file asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        try:
            sitk.WriteImage(image, str(tmp), useCompression=suffix in (".nii.gz", ".nrrd", ".mha"))
        except RuntimeError as exc:
            raise OSError(f"the image could not be written to {path.name} (is the disk full?)") from exc
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()


# -- private helpers ------------------------------------------------------------------------------


def _same_grid(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> bool:
    return bool(
        np.allclose(a[:3, :3], b[:3, :3], rtol=0.0, atol=_STEP_TOLERANCE_MM)
        and np.allclose(a[:3, 3], b[:3, 3], rtol=0.0, atol=_ORIGIN_TOLERANCE_MM)
    )


def _plain_reason(itk_message: str) -> str:
    """SimpleITK's exception text as one plain sentence, without its internal paths."""
    text = " ".join(itk_message.split())
    if "Unable to determine ImageIO reader" in text:
        return "not a readable NIfTI / NRRD / MHA image (unknown format or damaged header)"
    if "cannot be read" in text or "Error reading" in text or "trouble reading" in text:
        return "the file is damaged: its image data could not be read (cut short or corrupted)"
    return "the file could not be read as an image (damaged, or not in the format its name says)"
