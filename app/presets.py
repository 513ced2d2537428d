"""Window/level presets in HU, read from ``resources/presets.json``. No Qt here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from app.resources import resources_dir


@dataclass(frozen=True)
class WindowPreset:
    """A named window: width and level (centre) in HU, and a keyboard shortcut."""

    name: str
    width_hu: float
    level_hu: float
    shortcut: str = ""


#: used when presets.json is missing: bone window (CLINICAL.md cortical bone 1000-2000 HU)
_BUILTIN = (
    WindowPreset("Bone", 1800.0, 400.0, "F1"),
    WindowPreset("Soft tissue", 400.0, 40.0, "F2"),
    WindowPreset("Lung", 1500.0, -600.0, "F3"),
)


@cache
def load_presets() -> tuple[WindowPreset, ...]:
    """The presets, default first.

    Returns
    -------
    tuple of WindowPreset
        From ``resources/presets.json``; the built-in bone / soft tissue / lung set if it is absent.

    Raises
    ------
    ValueError
        If the file exists but a preset has a non-positive width.
    """
    path = resources_dir() / "presets.json"
    if not path.is_file():
        return _BUILTIN
    data = json.loads(path.read_text(encoding="utf-8"))
    presets: list[WindowPreset] = []
    default_first: list[WindowPreset] = []
    for item in data["presets"]:
        preset = WindowPreset(
            str(item["name"]), float(item["width_hu"]), float(item["level_hu"]), str(item.get("shortcut", ""))
        )
        if preset.width_hu <= 0:
            raise ValueError(f"preset {preset.name!r} in {path} has width {preset.width_hu} HU, must be > 0")
        (default_first if item.get("default") else presets).append(preset)
    return tuple(default_first + presets)


DEFAULT_PRESET = load_presets()[0]
