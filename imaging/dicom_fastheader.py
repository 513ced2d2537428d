"""A minimal DICOM header reader for the common case: classic single-frame little-endian files.

Header parsing is the cost of loading a series (DESIGN.md): pydicom spends about 1 ms a file building
a full Dataset. This reader walks the top-level elements of an Implicit or Explicit VR Little Endian
file with ``struct``, keeps the few tags the loader needs, skips everything else (sequences included)
by length, and stops at (7FE0,0010) Pixel Data, whose byte offset it returns. It never guesses: any
file it does not fully understand (another transfer syntax, an enhanced multi-frame object, a header
longer than the bytes read, an odd length) returns None, and the caller falls back to pydicom, which
stays the reference. Values are returned as strings (or ints for US), exactly as stored.
"""

from __future__ import annotations

import struct
from pathlib import Path

IMPLICIT_VR_LE = "1.2.840.10008.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"

#: bytes read at first; a header longer than this is re-read once at full size
FIRST_READ_BYTES = 16384
MAX_HEADER_BYTES = 1 << 20

_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"}
)
_UNDEFINED = 0xFFFFFFFF
_PIXEL_DATA = 0x7FE00010
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD

#: tag -> (keyword, kind) for the tags the loader keeps; kind "US" is an unsigned short, else text
WANTED: dict[int, tuple[str, str]] = {
    0x00080008: ("ImageType", "CS"),
    0x00080016: ("SOPClassUID", "UI"),
    0x00080020: ("StudyDate", "DA"),
    0x00080060: ("Modality", "CS"),
    0x0008103E: ("SeriesDescription", "LO"),
    0x00100010: ("PatientName", "PN"),
    0x00100020: ("PatientID", "LO"),
    0x00180015: ("BodyPartExamined", "CS"),
    0x00180050: ("SliceThickness", "DS"),
    0x00181210: ("ConvolutionKernel", "SH"),
    0x00185100: ("PatientPosition", "CS"),
    0x0020000D: ("StudyInstanceUID", "UI"),
    0x0020000E: ("SeriesInstanceUID", "UI"),
    0x00200011: ("SeriesNumber", "IS"),
    0x00200012: ("AcquisitionNumber", "IS"),
    0x00200013: ("InstanceNumber", "IS"),
    0x00200032: ("ImagePositionPatient", "DS"),
    0x00200037: ("ImageOrientationPatient", "DS"),
    0x00200052: ("FrameOfReferenceUID", "UI"),
    0x00280002: ("SamplesPerPixel", "US"),
    0x00280004: ("PhotometricInterpretation", "CS"),
    0x00280008: ("NumberOfFrames", "IS"),
    0x00280010: ("Rows", "US"),
    0x00280011: ("Columns", "US"),
    0x00280030: ("PixelSpacing", "DS"),
    0x00280100: ("BitsAllocated", "US"),
    0x00280101: ("BitsStored", "US"),
    0x00280102: ("HighBit", "US"),
    0x00280103: ("PixelRepresentation", "US"),
    0x00281052: ("RescaleIntercept", "DS"),
    0x00281053: ("RescaleSlope", "DS"),
}
#: (0008,0005) Specific Character Set, and the values of it whose text is Latin-1 (none given: the default
#: repertoire, ASCII, whose stray bytes the base read as Latin-1 too)
_CHARSET = 0x00080005
_LATIN1_SETS = frozenset({"", "ISO_IR 6", "ISO_IR 100", "ISO 2022 IR 100"})
#: tags that mean "not a classic single-frame image": leave it to pydicom
_BAIL_TAGS = frozenset({0x52009229, 0x52009230, 0x7FE00008, 0x7FE00009})


class _Bail(Exception):  # noqa: N818 - private control flow, never escapes this module
    pass


def read_fast_header(path: Path) -> tuple[dict[str, str | int], str, int, int, int] | None:
    """Parse a classic little-endian file's header without pydicom.

    Returns
    -------
    tuple or None
        ``(values, transfer_syntax, pixel_value_offset, pixel_value_length, file_size)`` where
        ``values`` maps keywords of :data:`WANTED` to text (multi-values joined by ``\\``) or int;
        None when the file is not one this reader fully understands (use pydicom), including files
        with no Pixel Data.
    """
    try:
        with path.open("rb") as fp:
            buf = fp.read(FIRST_READ_BYTES)
            size = fp.seek(0, 2)
            try:
                return _parse(buf, size)
            except _Bail:
                if size <= FIRST_READ_BYTES or len(buf) < FIRST_READ_BYTES:
                    return None
            fp.seek(0)
            buf = fp.read(min(size, MAX_HEADER_BYTES))
            return _parse(buf, size)
    except (_Bail, OSError, struct.error):
        return None


def _parse(buf: bytes, size: int) -> tuple[dict[str, str | int], str, int, int, int]:
    if len(buf) < 132 or buf[128:132] != b"DICM":
        raise _Bail
    pos = 132
    ts = ""
    sop_class = ""
    # file meta group (0002): always explicit VR little endian
    while pos + 8 <= len(buf):
        group = struct.unpack_from("<H", buf, pos)[0]
        if group != 0x0002:
            break
        tag, _vr, length, pos = _element_header(buf, pos, explicit=True)
        value = buf[pos : pos + length]
        if tag == 0x00020010:
            ts = value.decode("ascii", "replace").strip("\x00 ")
        elif tag == 0x00020002:
            sop_class = value.decode("ascii", "replace").strip("\x00 ")
        pos += length
    if ts not in (IMPLICIT_VR_LE, EXPLICIT_VR_LE):
        raise _Bail
    explicit = ts == EXPLICIT_VR_LE
    values: dict[str, str | int] = {}
    charset = ""  # (0008,0005) comes before every text value read (elements are in tag order)
    if sop_class:
        values["SOPClassUID"] = sop_class
    while True:
        if pos + 8 > len(buf):
            raise _Bail  # header longer than what was read (or no pixel data)
        tag, _vr, length, pos = _element_header(buf, pos, explicit=explicit)
        if tag == _PIXEL_DATA:
            if length == _UNDEFINED:
                raise _Bail  # encapsulated: not a raw little-endian file after all
            return values, ts, pos, length, size
        if tag in _BAIL_TAGS:
            raise _Bail
        if length == _UNDEFINED:
            pos = _skip_undefined(buf, pos, explicit)
            continue
        if pos + length > len(buf):
            raise _Bail
        wanted = WANTED.get(tag)
        if wanted is not None:
            keyword, kind = wanted
            raw = buf[pos : pos + length]
            if kind == "US":
                if length < 2:
                    raise _Bail
                values[keyword] = struct.unpack_from("<H", raw)[0]
            else:
                values[keyword] = _text(raw, charset)
        elif tag == _CHARSET:
            charset = buf[pos : pos + length].decode("ascii", "replace").strip("\x00 ")
        pos += length


def _text(raw: bytes, charset: str) -> str:
    """A text value decoded by its file's (0008,0005) Specific Character Set: ASCII as it is, the default
    and Latin-1 sets as Latin-1, UTF-8 (ISO_IR 192) as UTF-8 (read as Latin-1 in the base: a German
    "Wirbelsäule" came out "WirbelsÃ¤ule", QA s32 D); any other set, or bytes that are not what the set
    says, bail to pydicom, which knows them all."""
    if raw.isascii():
        return raw.decode("ascii").strip("\x00 ")
    if charset in _LATIN1_SETS:
        return raw.decode("latin-1").strip("\x00 ")
    if charset == "ISO_IR 192":
        try:
            return raw.decode("utf-8").strip("\x00 ")
        except UnicodeDecodeError:
            raise _Bail from None
    raise _Bail


def _element_header(buf: bytes, pos: int, *, explicit: bool) -> tuple[int, bytes, int, int]:
    group, elem = struct.unpack_from("<HH", buf, pos)
    tag = (group << 16) | elem
    if group == 0xFFFE:  # item / delimiters: always tag + 4-byte length
        return tag, b"", struct.unpack_from("<I", buf, pos + 4)[0], pos + 8
    if explicit:
        vr = buf[pos + 4 : pos + 6]
        if vr in _LONG_VRS:
            return tag, vr, struct.unpack_from("<I", buf, pos + 8)[0], pos + 12
        if not (vr[:1].isalpha() and vr[1:2].isalpha()):
            raise _Bail
        return tag, vr, struct.unpack_from("<H", buf, pos + 6)[0], pos + 8
    return tag, b"", struct.unpack_from("<I", buf, pos + 4)[0], pos + 8


def _skip_undefined(buf: bytes, pos: int, explicit: bool) -> int:
    """Skip an undefined-length sequence's items up to and past its Sequence Delimitation Item."""
    while True:
        if pos + 8 > len(buf):
            raise _Bail
        tag, _, length, pos = _element_header(buf, pos, explicit=explicit)
        if tag == _SEQ_END:
            return pos
        if tag != _ITEM:
            raise _Bail
        if length != _UNDEFINED:
            pos += length
            continue
        # an item of undefined length: its elements until the Item Delimitation Item
        while True:
            if pos + 8 > len(buf):
                raise _Bail
            tag, _, length, pos = _element_header(buf, pos, explicit=explicit)
            if tag == _ITEM_END:
                break
            if length == _UNDEFINED:
                pos = _skip_undefined(buf, pos, explicit)
            else:
                pos += length
