"""A MetaImage (``.mha`` / ``.mhd``) file's data size, checked before SimpleITK reads it.

SimpleITK refuses a MetaImage file whose data is cut short, but its library first prints lines of its
own on the program's standard error and its message says the file "cannot be read ... No such file or
directory". :func:`check_metaimage_size` reads the text header (``Key = Value`` lines up to
``ElementDataFile``) and refuses a file holding less image data than the header states, naming the
counts. Only sizes are checked here; geometry is SimpleITK's (MetaImage stores LPS directly).
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path

from imaging.errors import DicomImportError

#: MetaImage element type -> bytes (MetaIO's MET_ValueTypeSize)
_ELEMENT_BYTES = {
    "MET_CHAR": 1,
    "MET_UCHAR": 1,
    "MET_SHORT": 2,
    "MET_USHORT": 2,
    "MET_INT": 4,
    "MET_UINT": 4,
    "MET_LONG": 4,
    "MET_ULONG": 4,
    "MET_LONG_LONG": 8,
    "MET_ULONG_LONG": 8,
    "MET_FLOAT": 4,
    "MET_DOUBLE": 8,
}
#: a text header longer than this is not a MetaImage header (bytes)
_MAX_HEADER_BYTES = 1 << 16
_CHUNK_BYTES = 1 << 22


def is_metaimage_path(path: Path) -> bool:
    """True for a ``.mha`` or ``.mhd`` file name."""
    return path.name.lower().endswith((".mha", ".mhd"))


def check_metaimage_size(path: Path) -> None:
    """Refuse a MetaImage file whose image data is shorter than its header states.

    A header this function cannot follow (an unknown element type, a list of data files, data at the
    end of a file) is left to SimpleITK, whose errors the reader turns into one-line messages.

    Raises
    ------
    DicomImportError
        The file holds fewer bytes of image data than its header states, or its data file is missing.
    """
    fields, data_start = _read_fields(path)
    dims_text = fields.get("DimSize", "").split()
    element = _ELEMENT_BYTES.get(fields.get("ElementType", ""))
    data_file = fields.get("ElementDataFile", "")
    if not dims_text or element is None or not data_file or " " in data_file.strip():
        return
    try:
        dims = [int(v) for v in dims_text]
        channels = int(fields.get("ElementNumberOfChannels", "1"))
        header_size = int(fields.get("HeaderSize", "0"))
        compressed_size = int(fields["CompressedDataSize"]) if "CompressedDataSize" in fields else None
    except ValueError:
        return
    needed = math.prod(dims) * channels * element
    if data_file == "LOCAL":
        source, offset = path, data_start
    else:
        source, offset = path.parent / data_file, header_size
        if offset < 0 or "%" in data_file or data_file.upper() == "LIST":
            return
        if not source.is_file():
            raise DicomImportError(f"its image data file {data_file} is missing", path)
    compressed = fields.get("CompressedData", "False").strip().lower() == "true"
    available = source.stat().st_size - offset
    if compressed:
        if compressed_size is not None and available >= compressed_size:
            return
        have = _inflated_bytes(source, offset)
    else:
        have = available
    if have < needed:
        raise DicomImportError(
            f"the file is cut short: it holds {max(0, have)} of the {needed} bytes of image data its header "
            f"states ({' x '.join(str(n) for n in dims)} voxels)",
            path,
        )


def _read_fields(path: Path) -> tuple[dict[str, str], int]:
    """The header's ``Key = Value`` fields and the offset just after the ElementDataFile line."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_MAX_HEADER_BYTES)
    except OSError as exc:
        raise DicomImportError(f"the file cannot be opened ({exc.strerror or exc})", path) from exc
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(head):
        end = head.find(b"\n", pos)
        if end < 0:
            break
        line = head[pos:end].decode("latin-1").strip()
        pos = end + 1
        key, sep, value = line.partition("=")
        if not sep:
            continue
        fields[key.strip()] = value.strip()
        if key.strip() == "ElementDataFile":
            return fields, pos
    return {}, 0


def _inflated_bytes(source: Path, offset: int) -> int:
    """Bytes a zlib stream starting at ``offset`` inflates to (as much as a damaged stream gives)."""
    inflater = zlib.decompressobj()
    total = 0
    with source.open("rb") as fh:
        fh.seek(offset)
        try:
            while chunk := fh.read(_CHUNK_BYTES):
                total += len(inflater.decompress(chunk))
                if inflater.eof:
                    break
            total += len(inflater.flush())
        except zlib.error:
            pass  # damaged: what inflated so far is what the file holds
    return total
