"""Microwave ablation device profiles: power and time -> predicted zone size and position.

Units: power W, time s, sizes mm (``width_mm`` = diameter across the antenna, ``length_mm`` = extent
along it, ``beyond_tip_mm`` = how far the zone reaches past the antenna tip, ``center_behind_tip_mm`` =
where its centre lies behind the tip). No positions here.

The shipped table is ``resources/ablation_devices.json`` (every row of CLINICAL.md's zone table, the
ECO-100A1 rows marked ``unverified``). Operators add their own profiles in a user file,
``$OSTEOPLAN_DATA_DIR/ablation_devices.json`` or ``~/.local/share/osteoplan/ablation_devices.json``, with
the same format; they are merged after validation. A user profile may not reuse a shipped name (so a
shipped figure is never silently replaced). Errors name the file, the profile and the field.

A profile may say in ``tissue`` which tissue its figures were measured in ("bone", "kidney", "liver (ex
vivo)"): a plan on a bone target with a profile of another tissue is warned (:func:`tissue_warning`), since
zones in bone are smaller than in soft tissue (CLINICAL.md); no ``tissue``: not stated, nothing claimed.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planning.errors import PlanningError

SHIPPED_DEVICE_FILE = Path(__file__).resolve().parent.parent / "resources" / "ablation_devices.json"
USER_FILE_NAME = "ablation_devices.json"
FILE_FORMAT = "osteoplan-ablation-devices"
#: Tolerance (mm) between length/2 and centre-behind-tip + beyond-tip before a profile is refused.
_CONSISTENCY_MM = 1.0
_MAX_SIZE_MM = 120.0


class DeviceFileError(PlanningError):
    """A device profile file or row is invalid.

    Parameters
    ----------
    reason
        What is wrong and what to do.
    path
        The file.
    profile
        The profile's name or ``#index`` when it has none.
    field
        The offending field, when there is one.
    """

    def __init__(self, reason: str, path: Path | str, profile: str | None = None, field: str | None = None):
        self.reason = reason
        self.path = str(path)
        self.profile = profile
        self.field = field
        where = self.path
        if profile is not None:
            where += f", profile {profile}"
        if field is not None:
            where += f', field "{field}"'
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class DeviceProfile:
    """One device setting and the zone it predicts.

    ``power_w`` and ``time_s`` are ``(min, max)`` ranges (equal for a single value); ``time_s`` is
    None when the source gives none (e.g. "per cycle plan"). ``center_behind_tip_mm`` and
    ``beyond_tip_mm`` are None when unknown: such a profile needs the operator's value before a zone
    can be placed. ``time_note`` says how the time is planned when the source gives no figure.
    ``unverified`` profiles must be shown with that label.
    """

    name: str
    device: str
    power_w: tuple[float, float]
    time_s: tuple[float, float] | None
    width_mm: float
    length_mm: float
    beyond_tip_mm: float | None
    center_behind_tip_mm: float | None
    source: str
    unverified: bool
    note: str = ""
    origin: str = "shipped"
    time_note: str = ""
    tissue: str = ""

    @property
    def label(self) -> str:
        """Text to show with a zone: "predicted, from <source>" plus the unverified mark."""
        text = f"predicted, from {self.source}"
        return text + " (unverified)" if self.unverified else text

    def to_json(self) -> dict[str, Any]:
        """The profile as JSON (file format)."""

        def one_or_range(v: tuple[float, float] | None) -> float | list[float] | None:
            if v is None:
                return None
            return v[0] if v[0] == v[1] else [v[0], v[1]]

        return {
            "name": self.name,
            "device": self.device,
            "power_w": one_or_range(self.power_w),
            "time_s": one_or_range(self.time_s),
            "width_mm": self.width_mm,
            "length_mm": self.length_mm,
            "beyond_tip_mm": self.beyond_tip_mm,
            "center_behind_tip_mm": self.center_behind_tip_mm,
            "source": self.source,
            "unverified": self.unverified,
            "note": self.note,
            "origin": self.origin,
            "time_note": self.time_note,
            "tissue": self.tissue,
        }


def user_device_file() -> Path:
    """Where the operator's own profiles live (``$OSTEOPLAN_DATA_DIR`` or ``~/.local/share/osteoplan``)."""
    base = os.environ.get("OSTEOPLAN_DATA_DIR")
    folder = Path(base) if base else Path.home() / ".local" / "share" / "osteoplan"
    return folder / USER_FILE_NAME


def load_device_profiles(
    *, shipped_path: Path | None = None, user_path: Path | bool | None = True
) -> dict[str, DeviceProfile]:
    """The shipped profiles merged with the operator's, by name.

    Parameters
    ----------
    shipped_path
        The shipped table (default: ``resources/ablation_devices.json``).
    user_path
        The user file; ``True`` (default) looks in the usual place and skips it when absent,
        ``None`` or ``False`` ignores user profiles, a path must exist.

    Returns
    -------
    dict
        Profiles by name, shipped ones first.

    Raises
    ------
    DeviceFileError
        For an unreadable file, a missing or out-of-range field, or a duplicate name.
    """
    shipped = read_device_file(shipped_path or SHIPPED_DEVICE_FILE, origin="shipped")
    profiles = {p.name: p for p in shipped}
    if user_path is True:
        candidate = user_device_file()
        path: Path | None = candidate if candidate.is_file() else None
    elif user_path is None or user_path is False:
        path = None
    else:
        path = Path(user_path)
        if not path.is_file():
            raise DeviceFileError("file not found", path)
    if path is not None:
        for p in read_device_file(path, origin="user"):
            if p.name in profiles:
                raise DeviceFileError(
                    "this name is already used by a shipped profile (or earlier in the file); "
                    "choose another name",
                    path,
                    p.name,
                    "name",
                )
            profiles[p.name] = p
    return profiles


def read_device_file(path: Path | str, *, origin: str = "user") -> list[DeviceProfile]:
    """Read and validate one device file (see module docstring for the format).

    Raises
    ------
    DeviceFileError
        With the file, profile and field concerned.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeviceFileError(f"cannot be read ({exc.strerror or exc})", path) from None
    except json.JSONDecodeError as exc:
        raise DeviceFileError(f"is not valid JSON (line {exc.lineno}: {exc.msg})", path) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("profiles"), list):
        raise DeviceFileError('must be a JSON object with a "profiles" list', path)
    if data.get("format", FILE_FORMAT) != FILE_FORMAT:
        raise DeviceFileError(f'"format" must be "{FILE_FORMAT}", got {data.get("format")!r}', path)
    seen: set[str] = set()
    out = []
    for i, row in enumerate(data["profiles"]):
        p = _parse_profile(row, path, i, origin)
        if p.name in seen:
            raise DeviceFileError("duplicate profile name in this file", path, p.name, "name")
        seen.add(p.name)
        out.append(p)
    return out


def _parse_profile(row: Any, path: Path, index: int, origin: str) -> DeviceProfile:
    label = f"#{index + 1}"
    if not isinstance(row, Mapping):
        raise DeviceFileError("each profile must be a JSON object", path, label)
    name = row.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DeviceFileError("a non-empty name is required", path, label, "name")
    name = name.strip()

    def number(field: str, *, required: bool, lo: float, hi: float) -> float | None:
        v = row.get(field)
        if v is None:
            if required:
                raise DeviceFileError("is required", path, name, field)
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise DeviceFileError(f"must be a number, got {v!r}", path, name, field)
        if not lo <= float(v) <= hi:
            raise DeviceFileError(f"{v!r} is outside {lo:g}-{hi:g}", path, name, field)
        return float(v)

    def value_or_range(field: str, *, required: bool, hi: float) -> tuple[float, float] | None:
        v = row.get(field)
        if v is None:
            if required:
                raise DeviceFileError("is required", path, name, field)
            return None
        items = v if isinstance(v, list) else [v]
        if len(items) not in (1, 2) or any(
            isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x <= hi for x in items
        ):
            raise DeviceFileError(
                f"must be a number or [min, max] in (0, {hi:g}], got {v!r}", path, name, field
            )
        lo_v, hi_v = float(items[0]), float(items[-1])
        if hi_v < lo_v:
            raise DeviceFileError(f"range {v!r} has min > max", path, name, field)
        return (lo_v, hi_v)

    power = value_or_range("power_w", required=True, hi=500.0)
    time = value_or_range("time_s", required=False, hi=7200.0)
    width = number("width_mm", required=True, lo=1.0, hi=_MAX_SIZE_MM)
    length = number("length_mm", required=True, lo=1.0, hi=_MAX_SIZE_MM)
    beyond = number("beyond_tip_mm", required=False, lo=-_MAX_SIZE_MM, hi=_MAX_SIZE_MM)
    center = number("center_behind_tip_mm", required=False, lo=-_MAX_SIZE_MM, hi=_MAX_SIZE_MM)
    source = row.get("source")
    if not isinstance(source, str) or not source.strip():
        raise DeviceFileError("a source is required (where the figures come from)", path, name, "source")
    unverified = row.get("unverified", False)
    if not isinstance(unverified, bool):
        raise DeviceFileError(f"must be true or false, got {unverified!r}", path, name, "unverified")
    if power is None or width is None or length is None:  # required above; narrows the types
        raise DeviceFileError("power, width and length are required", path, name)
    if beyond is not None and center is not None and abs(length / 2 - center - beyond) > _CONSISTENCY_MM:
        raise DeviceFileError(
            f"length/2 ({length / 2:g}) should equal center_behind_tip_mm + beyond_tip_mm "
            f"({center:g} + {beyond:g}) within {_CONSISTENCY_MM:g} mm",
            path,
            name,
            "beyond_tip_mm",
        )
    if origin == "user" and not unverified and "unverified" not in row:
        unverified = True  # an operator's own figures are unverified unless the file says otherwise
    note = row.get("note", "")
    time_note = row.get("time_note", "")
    tissue = row.get("tissue", "")
    if not isinstance(tissue, str):
        raise DeviceFileError(
            f'must be text naming the tissue the figures were measured in (e.g. "bone"), got {tissue!r}',
            path,
            name,
            "tissue",
        )
    return DeviceProfile(
        name=name,
        device=str(row.get("device", "")),
        power_w=power,
        time_s=time,
        width_mm=width,
        length_mm=length,
        beyond_tip_mm=beyond,
        center_behind_tip_mm=center,
        source=source.strip(),
        unverified=unverified,
        note=note if isinstance(note, str) else "",
        origin=origin,
        time_note=time_note if isinstance(time_note, str) else "",
        tissue=" ".join(tissue.split()),
    )


def measured_in_bone(tissue: str) -> bool:
    """Whether a profile's ``tissue`` is bone ("bone", "Bone (vertebra)"...)."""
    words = tissue.replace("(", " ").lower().split()
    return bool(words) and words[0] in {"bone", "bones", "osseous", "vertebra", "vertebral"}


def tissue_warning(profile_name: str, tissue: str) -> str | None:
    """The warning for a profile whose figures were measured in a tissue other than bone, used on bone (every
    OsteoPlan target is bone); None for a bone profile or one that states no tissue."""
    if not tissue or measured_in_bone(tissue):
        return None
    return (
        f'the ablation profile "{profile_name}" gives zone figures measured in {tissue}, not bone: zones in '
        "bone are smaller than in soft tissue, so the zone drawn and its coverage may overstate the "
        "ablation; choose a bone profile or check the zone's size against the device's bone data"
    )
