"""The NIfTI header read by this program itself, to check a file before and after SimpleITK reads it.

SimpleITK (through the NIfTI C library) reads damaged headers silently: a file that states no patient
orientation comes back at origin (0, 0, 0) with an identity direction, a file cut short comes back with
its missing part filled with 0, a zero or NaN voxel size becomes 1 mm and a negative one flips the
axis. :func:`check_nifti` reads the 348-byte NIfTI-1 or 540-byte NIfTI-2 header (either byte order,
``.nii`` or ``.nii.gz``) and refuses what cannot be used, naming the reason; it returns the grid the
NIfTI standard gives for the file, which the reader compares with SimpleITK's.

Frames: the header's world is RAS (NIfTI's convention, x = right, y = anterior); the grid returned is
``index_to_lps`` in millimetres for arrays ``[slice, row, col]`` = NIfTI ``(k, j, i)``, so RAS exists
only inside this module.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.errors import DicomImportError

#: NIfTI-1 and NIfTI-2 header sizes (bytes), stored in the header's first field (sizeof_hdr)
NIFTI1_HEADER_BYTES = 348
NIFTI2_HEADER_BYTES = 540
#: header versions the image library beneath (SimpleITK 2.5 / ITK 5.4 as installed) reads: a NIfTI-2
#: file is refused by it as "not recognized" after its C library prints to standard error (measured)
READABLE_VERSIONS = (1,)
#: NIfTI datatype code -> bits per voxel (nifti1.h / nifti2.h DT_* codes)
_DATATYPE_BITS = {
    1: 1,  # binary
    2: 8,  # uint8
    4: 16,  # int16
    8: 32,  # int32
    16: 32,  # float32
    32: 64,  # complex64
    64: 64,  # float64
    128: 24,  # rgb24
    256: 8,  # int8
    512: 16,  # uint16
    768: 32,  # uint32
    1024: 64,  # int64
    1280: 64,  # uint64
    1536: 128,  # float128
    1792: 128,  # complex128
    2048: 256,  # complex256
    2304: 32,  # rgba32
}
#: NIfTI float data types -> numpy type (byte order added): their voxels can hold NaN or infinity
_FLOAT_TYPES = {16: "f4", 64: "f8"}
#: xyzt_units spatial code -> millimetres per file unit (0 = unknown: taken as mm, as every reader does)
_UNIT_MM = {0: 1.0, 1: 1000.0, 2: 1.0, 3: 0.001}
#: columns of the sform's 3x3 that are this close to orthogonal (cosine) form an orthogonal grid
_ORTHOGONAL_COSINE = 1e-4
#: bytes decompressed at a time when a .nii.gz must be measured in full
_CHUNK_BYTES = 1 << 22
#: compressed bytes read at a time for the header alone (a header inflates from well under this)
_PREFIX_CHUNK_BYTES = 1 << 12
#: the first two bytes of every gzip member (RFC 1952)
_GZIP_MAGIC = b"\x1f\x8b"

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class NiftiHeader:
    """The fields of a NIfTI-1 / NIfTI-2 header this program checks (values as stored).

    ``ndim`` is ``dim[0]``; ``dims`` and ``pixdim`` are ``dim[1..dim[0]]`` and ``pixdim[1..dim[0]]``
    (file units; empty when ``dim[0]`` is outside 1..7);
    ``qfac`` is ``pixdim[0]``; ``srow`` the three sform rows (RAS, file units).
    """

    version: int
    ndim: int
    dims: tuple[int, ...]
    datatype: int
    pixdim: tuple[float, ...]
    qfac: float
    vox_offset: float
    qform_code: int
    sform_code: int
    quatern_bcd: tuple[float, float, float]
    qoffset: tuple[float, float, float]
    srow: tuple[tuple[float, float, float, float], ...]
    spatial_unit_code: int
    header_bytes: int

    @property
    def data_bytes(self) -> int:
        """Bytes of image data the header promises (product of the dimensions x bytes per voxel)."""
        n = math.prod(self.dims)
        return (n * _DATATYPE_BITS[self.datatype] + 7) // 8


def is_nifti_path(path: Path) -> bool:
    """True for a ``.nii`` or ``.nii.gz`` file name."""
    name = path.name.lower()
    return name.endswith((".nii", ".nii.gz"))


def check_nifti(path: Path, warnings: list[str]) -> FloatArray | None:
    """Check a NIfTI file's header and size; return the grid the NIfTI standard gives it.

    Parameters
    ----------
    path
        A ``.nii`` or ``.nii.gz`` file.
    warnings
        Plain sentences are appended for what is read leniently (a negative voxel size beside an sform,
        which does not use it; with only a qform it is refused).

    Returns
    -------
    numpy.ndarray or None
        The 4x4 ``index_to_lps`` (mm) for arrays ``[k, j, i]``, or None when the file has fewer than
        3 dimensions (the reader refuses it as not a volume).

    Raises
    ------
    DicomImportError
        The header is cut short or is not a NIfTI header, a dimension or the data type is invalid,
        the file holds less image data than its header states, a voxel size of a spatial axis is 0 or
        not a number, the file states no patient orientation (qform_code and sform_code both 0), its
        orientation is not a usable grid, or it is a NIfTI-2 file (checked in full, then refused: the
        image library cannot read that version).
    """
    header = read_nifti_header(path)
    _check_data_size(path, header)
    grid = _grid_lps(path, header, warnings)
    if header.version not in READABLE_VERSIONS:
        raise DicomImportError(
            f"NIfTI-{header.version} files cannot be opened by this program; save the image as NIfTI-1 "
            "(.nii or .nii.gz)",
            path,
        )
    return grid


def read_nifti_header(path: Path) -> NiftiHeader:
    """Read and validate the header fields of a ``.nii`` / ``.nii.gz`` file.

    Raises
    ------
    DicomImportError
        As :func:`check_nifti`, for the header's own fields (not the data size nor the orientation).
    """
    raw = _read_prefix(path, NIFTI2_HEADER_BYTES)
    if len(raw) < 4:
        raise DicomImportError("the file is too short to be a NIfTI image (it is cut short or empty)", path)
    order = _byte_order(raw, path)
    size = struct.unpack(f"{order}i", raw[:4])[0]
    if len(raw) < size:
        raise DicomImportError(
            f"the NIfTI header is cut short: the file holds {len(raw)} of its {size} header bytes", path
        )
    header = _parse_v1(raw, order) if size == NIFTI1_HEADER_BYTES else _parse_v2(raw, order)
    _check_fields(path, header, raw)
    return header


def nonfinite_voxels(path: Path, read_as: npt.NDArray[Any] | None = None) -> npt.NDArray[np.bool_] | None:
    """The ``[k, j, i]`` mask of a float NIfTI volume's voxels stored as NaN or infinity, or None when there
    are none (or its data is not float, or not one 3D volume).

    The NIfTI C library under SimpleITK reads such values as 0, then scaled to the header's scl_inter,
    without a word (0 HU, water; QA s31 D), so the stored values are looked at here: the data is read once
    more, for float files only, and, given ``read_as`` (the array SimpleITK read), only when some voxel
    holds the value such a voxel becomes.

    Raises
    ------
    DicomImportError
        As :func:`read_nifti_header`.
    """
    h = read_nifti_header(path)
    kind = _FLOAT_TYPES.get(h.datatype)
    if kind is None or len(h.dims) < 3 or math.prod(h.dims[3:]) != 1:
        return None
    if read_as is not None:
        head = _read_prefix(path, NIFTI1_HEADER_BYTES)
        order = _byte_order(head, path)
        inter = struct.unpack_from(f"{order}f", head, 116)[0] if h.version == 1 else 0.0  # scl_inter
        if not np.any((read_as == 0) | (read_as == inter)):
            return None
    start = int(h.vox_offset)
    if path.name.lower().endswith(".gz"):  # in one go: the header reader's small steps are slow for data
        with gzip.open(path, "rb") as fh:
            raw = fh.read(start + h.data_bytes)
    else:
        raw = _read_prefix(path, start + h.data_bytes)
    if len(raw) < start + h.data_bytes:  # cut short: check_nifti refuses the file
        return None
    values = np.frombuffer(
        raw, dtype=np.dtype(_byte_order(raw, path) + kind), count=math.prod(h.dims[:3]), offset=start
    )
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    ni, nj, nk = h.dims[:3]
    mask: npt.NDArray[np.bool_] = bad.reshape(nk, nj, ni)
    return mask


# -- private helpers ------------------------------------------------------------------------------


def _read_prefix(path: Path, n: int) -> bytes:
    """Up to ``n`` bytes of the (decompressed) file; a file cut short gives what it has."""
    try:
        if path.name.lower().endswith(".gz"):
            with path.open("rb") as fh:
                if fh.read(2) != _GZIP_MAGIC:
                    raise DicomImportError(
                        "the file is not gzip-compressed although its name ends in .gz (damaged or misnamed)",
                        path,
                    )
            prefix, _ = _inflate_gz(path, n)
            return prefix
        with path.open("rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise DicomImportError(f"the file cannot be opened ({exc.strerror or exc})", path) from exc


def _inflate_gz(path: Path, keep: int) -> tuple[bytes, int]:
    """The first ``keep`` decompressed bytes of a gzip file and its whole decompressed size.

    Reading stops once ``keep`` bytes are held when ``keep`` is positive and the size is not needed
    (``keep`` > 0: the size returned is then only a lower bound). Concatenated gzip members are
    followed; a stream cut short or damaged counts what it gave up to that point.
    """
    kept = bytearray()
    total = 0
    inflater = zlib.decompressobj(wbits=31)
    step = _PREFIX_CHUNK_BYTES if keep > 0 else _CHUNK_BYTES
    with path.open("rb") as fh:
        while chunk := fh.read(step):
            while chunk:
                try:
                    out = inflater.decompress(chunk)
                except zlib.error:
                    return bytes(kept), total
                total += len(out)
                if len(kept) < keep:
                    kept += out[: keep - len(kept)]
                if 0 < keep <= len(kept):
                    return bytes(kept), total
                chunk = b""
                if inflater.eof:
                    chunk = inflater.unused_data
                    if not chunk.startswith(_GZIP_MAGIC):
                        return bytes(kept), total  # trailing bytes after the last member
                    inflater = zlib.decompressobj(wbits=31)
    return bytes(kept), total


def _byte_order(raw: bytes, path: Path) -> str:
    for order in ("<", ">"):
        if struct.unpack(f"{order}i", raw[:4])[0] in (NIFTI1_HEADER_BYTES, NIFTI2_HEADER_BYTES):
            return order
    found = struct.unpack("<i", raw[:4])[0]
    raise DicomImportError(
        f"not a NIfTI image: its header size field reads {found} (the standard requires "
        f"{NIFTI1_HEADER_BYTES} for NIfTI-1 or {NIFTI2_HEADER_BYTES} for NIfTI-2); the file is damaged",
        path,
    )


def _parse_v1(raw: bytes, o: str) -> NiftiHeader:
    def f(fmt: str, offset: int) -> tuple[float, ...]:
        return tuple(struct.unpack_from(f"{o}{fmt}", raw, offset))

    dim = [int(v) for v in f("8h", 40)]
    pixdim = f("8f", 76)
    srow = tuple(_row4(f("4f", 280 + 16 * i)) for i in range(3))
    return NiftiHeader(
        version=1,
        ndim=dim[0],
        dims=tuple(dim[1 : 1 + dim[0]]) if 1 <= dim[0] <= 7 else (),
        datatype=int(f("h", 70)[0]),
        pixdim=tuple(float(v) for v in pixdim[1 : 1 + max(0, min(dim[0], 7))]),
        qfac=float(pixdim[0]),
        vox_offset=float(f("f", 108)[0]),
        qform_code=int(f("h", 252)[0]),
        sform_code=int(f("h", 254)[0]),
        quatern_bcd=_triple(f("3f", 256)),
        qoffset=_triple(f("3f", 268)),
        srow=srow,
        spatial_unit_code=raw[123] & 0x07,
        header_bytes=NIFTI1_HEADER_BYTES,
    )


def _parse_v2(raw: bytes, o: str) -> NiftiHeader:
    def f(fmt: str, offset: int) -> tuple[float, ...]:
        return tuple(struct.unpack_from(f"{o}{fmt}", raw, offset))

    dim = [int(v) for v in f("8q", 16)]
    pixdim = f("8d", 104)
    srow = tuple(_row4(f("4d", 400 + 32 * i)) for i in range(3))
    return NiftiHeader(
        version=2,
        ndim=dim[0],
        dims=tuple(dim[1 : 1 + dim[0]]) if 1 <= dim[0] <= 7 else (),
        datatype=int(f("h", 12)[0]),
        pixdim=tuple(float(v) for v in pixdim[1 : 1 + max(0, min(dim[0], 7))]),
        qfac=float(pixdim[0]),
        vox_offset=float(f("q", 168)[0]),
        qform_code=int(f("i", 344)[0]),
        sform_code=int(f("i", 348)[0]),
        quatern_bcd=_triple(f("3d", 352)),
        qoffset=_triple(f("3d", 376)),
        srow=srow,
        spatial_unit_code=int(f("i", 500)[0]) & 0x07,
        header_bytes=NIFTI2_HEADER_BYTES,
    )


def _row4(v: tuple[float, ...]) -> tuple[float, float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]), float(v[3]))


def _triple(v: tuple[float, ...]) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


def _check_fields(path: Path, h: NiftiHeader, raw: bytes) -> None:
    magic = raw[344:348] if h.version == 1 else raw[4:12]
    expected = (b"n+1\0",) if h.version == 1 else (b"n+2\0\r\n\x1a\n",)
    if magic not in expected:
        if h.version == 1 and magic == b"ni1\0":
            raise DicomImportError(
                "this header belongs to a separate .img data file (a NIfTI pair), not a single .nii", path
            )
        raise DicomImportError("not a NIfTI image: its header lacks the NIfTI signature (magic)", path)
    if not 1 <= h.ndim <= 7:
        raise DicomImportError(
            f"the NIfTI header is damaged: it gives {h.ndim} dimensions (dim[0] must be 1 to 7)", path
        )
    if any(n < 1 for n in h.dims):
        raise DicomImportError(
            f"the NIfTI header is damaged: image size {' x '.join(str(n) for n in h.dims)} has a dimension "
            "below 1",
            path,
        )
    if h.datatype not in _DATATYPE_BITS:
        raise DicomImportError(f"the NIfTI header gives an unknown data type (code {h.datatype})", path)
    if not math.isfinite(h.vox_offset) or h.vox_offset < h.header_bytes:
        raise DicomImportError(
            f"the NIfTI header is damaged: its image data would start at byte {h.vox_offset:g}, "
            f"inside the {h.header_bytes}-byte header",
            path,
        )
    axes = "xyz"
    for i, d in enumerate(h.pixdim[:3]):
        if not math.isfinite(d) or d == 0.0:
            raise DicomImportError(
                f"the NIfTI header gives no usable voxel size along {axes[i]} (pixdim[{i + 1}] = {d:g}); "
                "the distances in the image would be unknown",
                path,
            )


def _check_data_size(path: Path, h: NiftiHeader) -> None:
    needed = int(h.vox_offset) + h.data_bytes
    gz = path.name.lower().endswith(".gz")
    have = _decompressed_bytes(path, needed) if gz else path.stat().st_size
    if have < needed:
        held = max(0, have - int(h.vox_offset))
        raise DicomImportError(
            f"the file is cut short: it holds {held} of the {h.data_bytes} bytes of image data its header "
            f"states ({' x '.join(str(n) for n in h.dims)} voxels)",
            path,
        )


def _decompressed_bytes(path: Path, needed: int) -> int:
    """Decompressed size of a .gz file, or ``needed`` when the gzip trailer already proves it.

    A complete single-member gzip stream ends with its decompressed size modulo 2**32; when that
    equals ``needed`` the stream is whole (a file cut short ends in compressed data instead, matching
    by chance with probability 2**-32), so the data need not be decompressed twice. Otherwise the
    stream is decompressed and counted (multi-member files, trailing data, files cut short).
    """
    with path.open("rb") as fh:
        fh.seek(0, 2)
        if fh.tell() >= 18:  # 10-byte gzip header + 8-byte trailer
            fh.seek(-4, 2)
            if struct.unpack("<I", fh.read(4))[0] == needed % (1 << 32):
                return needed
    return _inflate_gz(path, 0)[1]


def _grid_lps(path: Path, h: NiftiHeader, warnings: list[str]) -> FloatArray | None:
    if len(h.dims) < 3:
        return None
    unit_mm = _UNIT_MM.get(h.spatial_unit_code, 1.0)
    if h.sform_code > 0 and _sform_usable(h):
        ras = np.asarray(h.srow, dtype=np.float64)
        if any(d < 0 for d in h.pixdim[:3]):
            warnings.append(
                f"{path.name}: the header gives a negative voxel size (pixdim {_fmt(h.pixdim[:3])}); "
                "the grid was taken from its sform, which the NIfTI standard says does not use pixdim"
            )
    elif h.qform_code > 0:
        if any(d < 0 for d in h.pixdim[:3]):  # readers differ (flip the axis, take |size|, or 1 mm)
            raise DicomImportError(
                f"the header gives a negative voxel size (pixdim {_fmt(h.pixdim[:3])}) and only a qform, "
                "whose grid depends on it: whether that axis is flipped cannot be known; export it again",
                path,
            )
        ras = _qform_ras(h)
    elif h.sform_code > 0:
        raise DicomImportError(
            "the file's orientation (sform) is not a rectangular grid and it gives no qform to fall back on",
            path,
        )
    else:
        raise DicomImportError(
            "the file states no patient orientation (its qform_code and sform_code are both 0), so left, "
            "right, front and back cannot be known; export it again with its orientation",
            path,
        )
    if not np.all(np.isfinite(ras)):
        raise DicomImportError("the file's orientation holds numbers that are not finite", path)
    ras = ras * unit_mm
    flip = np.diag([-1.0, -1.0, 1.0])  # RAS -> LPS
    m = np.eye(4)
    m[:3, 0] = flip @ ras[:, 2]  # slice = NIfTI k
    m[:3, 1] = flip @ ras[:, 1]  # row = j
    m[:3, 2] = flip @ ras[:, 0]  # col = i
    m[:3, 3] = flip @ ras[:, 3]
    if abs(np.linalg.det(m[:3, :3])) < 1e-12:
        raise DicomImportError("the file's orientation is degenerate (its axes are not independent)", path)
    return m


def _sform_usable(h: NiftiHeader) -> bool:
    a = np.asarray(h.srow, dtype=np.float64)[:, :3]
    if not np.all(np.isfinite(a)):
        return False
    norms = np.linalg.norm(a, axis=0)
    if np.any(norms == 0):
        return False
    u = a / norms
    cos = u.T @ u - np.eye(3)
    return bool(np.max(np.abs(cos)) < _ORTHOGONAL_COSINE)


def _qform_ras(h: NiftiHeader) -> FloatArray:
    """The qform (method 2 of nifti1.h) as a 3x4 RAS matrix (positive voxel sizes: checked before)."""
    b, c, d = h.quatern_bcd
    a2 = 1.0 - (b * b + c * c + d * d)
    if a2 < 1e-7:  # a 180 degree rotation: (b, c, d) normalised, a = 0
        n = math.sqrt(b * b + c * c + d * d)
        b, c, d, a = b / n, c / n, d / n, 0.0
    else:
        a = math.sqrt(a2)
    r = np.array(
        [
            [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
            [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
            [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
        ]
    )
    scale = np.array([abs(v) for v in h.pixdim[:3]])
    if h.qfac < 0:  # nifti1.h: pixdim[0] = -1 flips k (0 is taken as 1)
        scale[2] = -scale[2]
    out = np.zeros((3, 4))
    out[:, :3] = r * scale
    out[:, 3] = h.qoffset
    return out


def _fmt(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:g}" for v in values)
