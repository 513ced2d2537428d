"""The values of a case <-> the JSON of ``case.json`` (used by ``planning.case_io``).

Encoding walks the case's frozen dataclasses: a dataclass becomes an object of its fields, a
``StrEnum`` its string value, a mapping an object (string keys), a tuple or list a list, and
``None`` / str / bool / int / float stay as they are. A ``Mask`` becomes a reference to an archive
member ``masks/NNN.npy`` holding the mask's box as packed bits (uint8, ``np.packbits`` of the
C-order boolean array) with its box ``shape``, ``offset_index`` ([slice, row, col]), ``grid_shape``
and voxel count. Values keep their units and frames as the model has them (positions LPS mm,
lengths mm); nothing is converted here.

Decoding builds the values back by the dataclasses' type hints, so a new field needs no code here:
a missing field takes its dataclass default, an unknown field is skipped with a warning. Which file
the members come from (the zip container, version checks) is ``planning.case_io``'s business.

API summary
-----------
``encode_value(value, masks) -> Any``: a JSON-ready form; masks are appended to ``masks`` as
``(member name, bytes)``.
``ValueDecoder(read_member, path, warnings).decode(tp, raw, where)``: a value of type ``tp``;
every refusal is a ``planning.errors.CaseFileError`` naming the place in the document.
"""

from __future__ import annotations

import dataclasses
import io
import types
import typing
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from imaging.mask import Mask
from planning.errors import CaseFileError, PlanningError
from planning.model import FrozenDict

__all__ = ["ValueDecoder", "encode_value"]


def encode_value(value: Any, masks: list[tuple[str, bytes]]) -> Any:
    """A JSON-ready form of a value; masks are appended to ``masks`` and referenced.

    Parameters
    ----------
    value
        A value of the case (a dataclass, ``StrEnum``, mapping with string keys, tuple or list of
        those, ``Mask``, or ``None`` / str / bool / int / float).
    masks
        Archive members to write: each mask met is appended as ``("masks/NNN.npy", npy bytes)``,
        numbered in the order met.

    Returns
    -------
    Any
        The value as dicts, lists, strings, numbers, booleans and ``None``.

    Raises
    ------
    TypeError
        When a mapping has a key that is not a string or a value has a type that cannot be stored.
    """
    if isinstance(value, Mask):
        name = f"masks/{len(masks):03d}.npy"
        buf = io.BytesIO()
        np.save(buf, np.packbits(np.ascontiguousarray(value.array, dtype=bool).ravel()), allow_pickle=False)
        masks.append((name, buf.getvalue()))
        return {
            "npy": name,
            "encoding": "packbits",
            "shape": list(value.array.shape),
            "offset_index": list(value.offset_index),
            "grid_shape": list(value.grid_shape),
            "voxels": value.count(),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode_value(getattr(value, f.name), masks) for f in dataclasses.fields(value)}
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"mapping keys must be strings, got {k!r}")
            out[k] = encode_value(v, masks)
        return out
    if isinstance(value, (tuple, list)):
        return [encode_value(v, masks) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__}")


class ValueDecoder:
    """Builds values from JSON by the dataclasses' type hints (so new fields need no code here).

    Parameters
    ----------
    read_member
        Returns the bytes of an archive member by name (a mask's ``.npy``); it raises
        ``CaseFileError`` itself when the member is missing or corrupt.
    path
        The case file, named in errors.
    warnings
        Receives a message for every unknown field skipped.
    """

    def __init__(self, read_member: Callable[[str], bytes], path: Path, warnings: list[str]) -> None:
        self.read_member = read_member
        self.path = path
        self.warnings = warnings
        self._hints: dict[type, dict[str, Any]] = {}

    def decode(self, tp: Any, raw: Any, where: str) -> Any:
        """A value of type ``tp`` built from its JSON form ``raw``.

        Parameters
        ----------
        tp
            The type wanted (a dataclass, ``StrEnum``, ``Mask``, tuple / mapping / union of those,
            a scalar type or ``Any``).
        raw
            The parsed JSON.
        where
            The place in the document, for messages (``"case"``, then ``.field`` and ``[i]``).

        Returns
        -------
        Any
            The value.

        Raises
        ------
        CaseFileError
            ``invalid value at <where>: <reason>`` when ``raw`` does not fit ``tp`` (or the
            dataclass refuses it), or as ``read_member`` raises for a mask's member.
        """
        try:
            return self._value(tp, raw, where)
        except _DecodeError as exc:
            raise CaseFileError(f"invalid value at {exc.where}: {exc.reason}", str(self.path)) from exc

    def _value(self, tp: Any, raw: Any, where: str) -> Any:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if tp is Any:
            return raw
        if origin is typing.Union or origin is types.UnionType:
            if raw is None and type(None) in args:
                return None
            reasons = []
            for arm in args:
                if arm is type(None):
                    continue
                try:
                    return self._value(arm, raw, where)
                except _DecodeError as exc:
                    reasons.append(exc.reason)
            raise _DecodeError(where, "; ".join(reasons) or f"unexpected {raw!r}")
        if origin is tuple:
            if not isinstance(raw, list):
                raise _DecodeError(where, f"expected a list, got {type(raw).__name__}")
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(self._value(args[0], v, f"{where}[{i}]") for i, v in enumerate(raw))
            if len(raw) != len(args):
                raise _DecodeError(where, f"expected {len(args)} values, got {len(raw)}")
            return tuple(
                self._value(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, raw, strict=True))
            )
        if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
            if not isinstance(raw, dict):
                raise _DecodeError(where, f"expected an object, got {type(raw).__name__}")
            vtp = args[1] if len(args) == 2 else Any
            return FrozenDict((str(k), self._value(vtp, v, f"{where}.{k}")) for k, v in raw.items())
        if tp is Mask:
            return self._mask(raw, where)
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            return self._dataclass(tp, raw, where)
        if isinstance(tp, type) and issubclass(tp, StrEnum):
            try:
                return tp(raw)
            except ValueError as exc:
                raise _DecodeError(where, f"{raw!r} is not one of {[e.value for e in tp]}") from exc
        return self._scalar(tp, raw, where)

    @staticmethod
    def _scalar(tp: Any, raw: Any, where: str) -> Any:
        if tp is bool and isinstance(raw, bool):
            return raw
        if tp is int and isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if tp is float and isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
        if tp is str and isinstance(raw, str):
            return raw
        if tp is type(None) and raw is None:
            return None
        name = getattr(tp, "__name__", str(tp))
        raise _DecodeError(where, f"expected {name}, got {raw!r}")

    def _dataclass(self, cls: type, raw: Any, where: str) -> Any:
        if not isinstance(raw, dict):
            raise _DecodeError(where, f"expected an object, got {type(raw).__name__}")
        hints = self._hints.get(cls)
        if hints is None:
            hints = typing.get_type_hints(cls)
            self._hints[cls] = hints
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in raw:
                kwargs[f.name] = self._value(hints[f.name], raw[f.name], f"{where}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _DecodeError(where, f'required field "{f.name}" is missing')
        known = {f.name for f in dataclasses.fields(cls)}
        for key in raw:
            if key not in known:
                self.warnings.append(f'ignored unknown field "{key}" at {where}')
        try:
            return cls(**kwargs)
        except (ValueError, TypeError, PlanningError) as exc:
            raise _DecodeError(where, str(exc)) from exc

    def _mask(self, raw: Any, where: str) -> Mask:
        if (
            not isinstance(raw, dict)
            or raw.get("encoding") != "packbits"
            or not isinstance(raw.get("npy"), str)
        ):
            raise _DecodeError(where, "expected a packbits mask reference")
        shape = self._value(tuple[int, int, int], raw.get("shape"), f"{where}.shape")
        offset = self._value(tuple[int, int, int], raw.get("offset_index"), f"{where}.offset_index")
        grid = self._value(tuple[int, int, int], raw.get("grid_shape"), f"{where}.grid_shape")
        voxels = self._value(int, raw.get("voxels"), f"{where}.voxels")
        if min(shape) < 0:
            raise _DecodeError(where, f"negative mask shape {shape}")
        data = self.read_member(raw["npy"])
        try:
            packed = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise _DecodeError(where, f"{raw['npy']} is not a valid .npy array ({exc})") from exc
        n = int(np.prod(shape))
        if packed.dtype != np.uint8 or packed.ndim != 1 or packed.size != (n + 7) // 8:
            raise _DecodeError(
                where, f"{raw['npy']} holds {packed.size} bytes of {packed.dtype}, expected {(n + 7) // 8}"
            )
        array = np.unpackbits(packed, count=n).astype(bool).reshape(shape)
        if int(np.count_nonzero(array)) != voxels:
            raise _DecodeError(
                where, f"{raw['npy']} holds {np.count_nonzero(array)} voxels, expected {voxels}"
            )
        try:
            return Mask(array, offset, grid)
        except ValueError as exc:
            raise _DecodeError(where, str(exc)) from exc


class _DecodeError(Exception):
    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")
