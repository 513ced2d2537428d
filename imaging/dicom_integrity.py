"""Is a DICOM file's pixel data all there? Cheap structural checks made during the header pass.

A damaged slice (typically a file cut short by an interrupted copy or download) must be found while
the series is planned, so that it can be left out and reported by name and the series built from the
other slices, rather than the whole series failing when its pixels are read. The checks look only
at lengths, never at pixel values, so they cost a few small reads a file:

* plain (native) pixel data: the values must fit in the file (offset + frames x frame bytes);
* encapsulated (compressed) pixel data: the fragment items are walked by their lengths up to the
  sequence delimiter (FFFE,E0DD); an item that runs past the end of the file means the file was cut;
* deflated files are decompressed whole by the header reader, so a cut one fails there already
  (:func:`read_error_reason` words that failure).

Byte offsets are from the start of the file. Nothing here reads patient data.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

#: explicit VR big endian: the only non-encapsulated syntax besides the raw little-endian ones
BIG_ENDIAN_TS = "1.2.840.10008.1.2.2"
DEFLATED_TS = "1.2.840.10008.1.2.1.99"
#: the reason given for a file whose pixel data ends before it should
TRUNCATED = "truncated: its pixel data ends early"
TRUNCATED_COMPRESSED = "truncated: its compressed pixel data ends early"

_UNDEFINED = 0xFFFFFFFF
_ITEM = (0xFFFE, 0xE000)
_SEQUENCE_END = (0xFFFE, 0xE0DD)
#: bytes of an explicit VR OB/OW element header: tag (4), VR (2), reserved (2), length (4)
_EXPLICIT_LONG_HEADER = 12


def raw_pixel_damage(pixel_offset: int, n_frames: int, frame_bytes: int, file_size: int) -> str | None:
    """For plain little-endian values starting at ``pixel_offset``: a reason when they do not all fit."""
    needed = pixel_offset + n_frames * frame_bytes
    if needed <= file_size:
        return None
    present = max(0, file_size - pixel_offset)
    return f"{TRUNCATED} ({present} of {n_frames * frame_bytes} bytes present)"


def coded_pixel_damage(path: Path, *, element_offset: int, head: bytes, ts: str, size: int) -> str | None:
    """For pixel data that is not plain little endian: a reason when the file ends inside it.

    Parameters
    ----------
    path
        The file.
    element_offset
        Byte offset of the (7FE0,0010) Pixel Data element's tag.
    head
        The first 12 bytes of that element (tag, VR, reserved, length).
    ts
        The file's transfer syntax UID.
    size
        The file's size in bytes.

    Returns
    -------
    str or None
        None when the pixel data is complete (or cannot be checked cheaply: deflated files).
    """
    if ts == DEFLATED_TS or len(head) < _EXPLICIT_LONG_HEADER:
        return None
    order = ">" if ts == BIG_ENDIAN_TS else "<"
    length = struct.unpack(f"{order}I", head[8:12])[0]
    start = element_offset + _EXPLICIT_LONG_HEADER
    if length != _UNDEFINED:
        return TRUNCATED if start + length > size else None
    try:
        with path.open("rb") as fp:
            return _fragments_damage(fp, start, size)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"


def read_error_reason(exc: BaseException) -> str | None:
    """A plain reason for a read failure that has a known cause, else None."""
    if isinstance(exc, zlib.error):
        return "truncated or corrupt: its deflate-compressed data cannot be decompressed"
    return None


def _fragments_damage(stream: BinaryIO, start: int, size: int) -> str | None:
    """Walk the encapsulated items (basic offset table, then fragments) by their lengths."""
    pos = start
    while pos < size:
        if pos + 8 > size:
            return TRUNCATED_COMPRESSED
        stream.seek(pos)
        group, element, length = struct.unpack("<HHI", stream.read(8))
        if (group, element) == _SEQUENCE_END:
            return None
        if (group, element) != _ITEM or length == _UNDEFINED:
            return "corrupt: its compressed pixel data is not a sequence of fragments"
        pos += 8 + length
        if pos > size:
            return TRUNCATED_COMPRESSED
    # every item complete but no delimiter: decoders read such files; leave it to them
    return None
