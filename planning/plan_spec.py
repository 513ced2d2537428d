"""Reading and checking the values of a plan spec (the JSON object of ``osteoplan plan``).

Each reader takes the spec (or one of its objects), checks one value and returns it in the planner's
units (LPS mm for points, mm, mL), or raises :class:`planning.errors.PlanValidationError` naming the
key by its place in the spec (``targets[0].lesion_seed_lps``), the value and what was expected.
Defaults and ranges are the module docstring's of :mod:`planning.plan_runner`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import Any

from imaging.levels import normalize_level
from imaging.volume import FAR_LPS_MM
from planning.coverage import SUGGESTION_OVERLAP_FRACTION
from planning.devices import load_device_profiles
from planning.errors import PlanValidationError
from planning.model import Approach
from planning.needles import DEFAULT_ANTENNA_EXTENSION_MM, DEFAULT_GAUGE, Needle
from planning.score_site import BoneSite
from planning.spec_reads import nearest_key, place_of, unread_paths
from planning.target_choices import CHOICE_KEYS, unknown_keys_error
from planning.zone_model import CentreSource, UnknownProfileError, ZoneModel, resolve_zone_model

Point = tuple[float, float, float]


def spec_number(  # noqa: PLR0917 - a validator: spec, key, default, range, place
    spec: Mapping[str, Any], key: str, default: float, lo: float, hi: float, where: str = ""
) -> float:
    v = spec.get(key, default)
    name = f"{where}.{key}" if where else key
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        raise PlanValidationError(name, v, f"a number in {lo:g}-{hi:g}")
    return float(v)


def spec_point(spec: Mapping[str, Any], key: str, where: str) -> Point:
    v = spec.get(key)
    if v is None:
        raise missing_key(spec, key, where, "three numbers [x, y, z] in LPS mm")
    if not (isinstance(v, (list, tuple)) and len(v) == 3) or not all(
        isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in v
    ):
        raise PlanValidationError(f"{where}.{key}", v, "three numbers [x, y, z] in LPS mm")
    if any(abs(c) > FAR_LPS_MM for c in v):  # 1e200 ended in an internal error (overflow), QA s32 D
        raise PlanValidationError(
            f"{where}.{key}", v, f"three numbers [x, y, z] in LPS mm, each within ±{FAR_LPS_MM:.0f} mm"
        )
    return (float(v[0]), float(v[1]), float(v[2]))


def spec_needle(spec: Any) -> Needle:
    if not isinstance(spec, Mapping):
        raise PlanValidationError("needle", spec, "a JSON object")
    gauge = spec.get("gauge", DEFAULT_GAUGE)
    if isinstance(gauge, bool) or not isinstance(gauge, int):
        raise PlanValidationError("needle.gauge", gauge, "an integer gauge (10, 11, 13 or 15)")
    ext = spec_number(spec, "antenna_extension_mm", DEFAULT_ANTENNA_EXTENSION_MM, 0.0, 60.0, "needle")
    kwargs: dict[str, float] = {"antenna_extension_mm": ext}
    if "length_mm" in spec:
        kwargs["length_mm"] = spec_number(spec, "length_mm", 150.0, 10.0, 400.0, "needle")
    return Needle.from_gauge(gauge, **kwargs)


def spec_zone_model(spec: Any) -> ZoneModel:
    if not isinstance(spec, Mapping):
        raise PlanValidationError(
            "ablation", spec, 'an object with "profile" or width_mm/length_mm/center_behind_tip_mm'
        )
    name = spec.get("profile")
    if name is not None:
        profiles = load_device_profiles()
        if not isinstance(name, str) or name not in profiles:
            raise UnknownProfileError("ablation.profile", name, sorted(profiles))
        center = None
        if "center_behind_tip_mm" in spec:
            center = spec_number(spec, "center_behind_tip_mm", 0.0, -60.0, 60.0, "ablation")
        return resolve_zone_model(
            name,
            profiles,
            center_behind_tip_mm=center,
            centre_given_by=CentreSource.PLAN,
            where="ablation",
        )
    missing = [k for k in ("width_mm", "length_mm", "center_behind_tip_mm") if k not in spec]
    if missing:
        raise PlanValidationError(f"ablation.{missing[0]}", None, 'a number (or give "profile")')
    return resolve_zone_model(
        "",
        {},
        width_mm=spec_number(spec, "width_mm", 0.0, 1.0, 120.0, "ablation"),
        length_mm=spec_number(spec, "length_mm", 0.0, 1.0, 120.0, "ablation"),
        center_behind_tip_mm=spec_number(spec, "center_behind_tip_mm", 0.0, -60.0, 60.0, "ablation"),
        where="ablation",
    )


def spec_pullbacks(spec: Mapping[str, Any], zm: ZoneModel, where: str) -> tuple[float, ...]:
    name = f"{where}.pullback_mm" if where else "pullback_mm"
    if "pullback_mm" in spec:
        v = spec["pullback_mm"]
        if (
            not isinstance(v, list)
            or not v
            or any(isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 <= x <= 200 for x in v)
        ):
            raise PlanValidationError(name, v, "a non-empty list of offsets 0-200 mm")
        return tuple(float(x) for x in v)
    n = spec.get("positions_per_trajectory", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
        raise PlanValidationError("positions_per_trajectory", n, "an integer 1-10")
    step = (1.0 - SUGGESTION_OVERLAP_FRACTION) * zm.length_mm
    return tuple(round(step * k, 2) for k in range(n))


def spec_approach(raw: Any, where: str) -> Approach:
    try:
        return Approach(str(raw))
    except ValueError:
        names = ", ".join(a.value for a in Approach)
        raise PlanValidationError(
            f"{where}.approach", raw, f"one of {names}, transpedicular-bilateral"
        ) from None


def spec_bone(ts: Mapping[str, Any], where: str) -> BoneSite | None:
    """A target's ``bone`` (the score follows it, :mod:`planning.score_site`); None when not given.

    Refused on a spinal target (one with ``vertebra_lps`` or ``level``): a vertebra is scored with SINS,
    and the window's Scores dock offers no bone for it either.
    """
    raw = ts.get("bone")
    if raw is None:
        return None
    allowed = ", ".join(f'"{b.value}"' for b in BoneSite)
    if not isinstance(raw, str) or raw not in {b.value for b in BoneSite}:
        raise PlanValidationError(f"{where}.bone", raw, f"one of {allowed}")
    if ts.get("vertebra_lps") is not None or ts.get("level"):
        raise PlanValidationError(
            f"{where}.bone",
            raw,
            'no "bone" on a spinal target (it has "vertebra_lps" or "level"): a vertebra is scored with '
            'SINS; leave "bone" out, or give it only for a lesion outside the spine',
        )
    return BoneSite(raw)


#: Unicode categories a name may not hold: controls (a line break, a terminal escape), invisible format
#: characters (a right-to-left override), line and paragraph separators, lone surrogates
_NOT_IN_NAMES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def spec_name(ts: Mapping[str, Any], where: str) -> str:
    """A target's ``name``: non-empty text without line breaks or control characters. A name is shown in
    every view, list and report line, and a line break in it split the command line's text answer (and
    the trajectories name their target by it): refused at the spec (QA s32 D)."""
    name = ts.get("name")
    if name is None:
        raise missing_key(ts, "name", where, "a non-empty string")
    if not isinstance(name, str) or not name.strip():
        raise PlanValidationError(f"{where}.name", name, "a non-empty string")
    if any(unicodedata.category(c) in _NOT_IN_NAMES for c in name):
        raise PlanValidationError(
            f"{where}.name", name, "a name without line breaks, tabs or other control characters"
        )
    return name


def spec_choices(ts: Mapping[str, Any], where: str) -> Mapping[str, Any] | None:
    """A target's ``choices`` (the operator's choices for cement, risk and scores), None when not given.

    Checked here, at the spec: a value that is not an object was dropped without a word (the plan was
    made with the defaults), and an unknown key was named as "choices", not by its target (QA s32 D).
    """
    raw = ts.get("choices")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise PlanValidationError(
            f"{where}.choices", raw, f"a JSON object with keys among {sorted(CHOICE_KEYS)}"
        )
    unknown = sorted(set(raw) - CHOICE_KEYS)
    if unknown:
        raise unknown_keys_error(f"{where}.choices", unknown, CHOICE_KEYS)
    return raw


def spec_level(ts: Mapping[str, Any], where: str) -> str | None:
    """A target's ``level`` as its canonical name (``"l1"`` -> ``"L1"``), None when not given.

    Checked here, at the spec: a level that names no vertebra ended the plan in an internal error in the
    vertebra search (its ValueError), and one that is not a string was dropped from the search but kept
    as the target's level (QA s31 D).
    """
    raw = ts.get("level")
    if raw is None or raw == "":
        return None
    expected = 'a vertebral level C1-C7, T1-T12, L1-L5 or S1 (e.g. "L3")'
    if not isinstance(raw, str):
        raise PlanValidationError(f"{where}.level", raw, expected)
    try:
        return normalize_level(raw)
    except ValueError:
        raise PlanValidationError(f"{where}.level", raw, expected) from None


#: the keys a reader of this module, :mod:`planning.plan_runner` or :mod:`planning.plan_placement` asks
#: for, by place in the spec (:func:`planning.spec_reads.place_of`). Only the wording of
#: :func:`unused_key_warnings` uses it (which keys are unused is recorded, not listed): a key known here
#: and not read did not apply to this plan, any other key is called misspelt. tests/planning/
#: test_plan_spec_unused_keys.py checks that every key the readers ask for is listed.
SPEC_KEYS: dict[str, frozenset[str]] = {
    "": frozenset(
        {
            "targets",
            "trajectories",
            "needle",
            "ablation",
            "positions_per_trajectory",
            "pullback_mm",
            "margin_mm",
            "pedicle_safety_margin_mm",
            "warn_distance_mm",
            "min_needle_depth_mm",
        }
    ),
    "targets[]": frozenset(
        {"name", "lesion_seed_lps", "vertebra_lps", "level", "reference_bone_hu", "choices", "bone"}
    ),
    "trajectories[]": frozenset({"target", "approach", "entry_lps", "target_lps", "skin_lps", "pullback_mm"}),
    "needle": frozenset({"gauge", "antenna_extension_mm", "length_mm"}),
    "ablation": frozenset({"profile", "width_mm", "length_mm", "center_behind_tip_mm"}),
}

#: where each place is, in words
_PLACE_WORDS = {
    "": "at the spec's top level",
    "targets[]": "in a target",
    "trajectories[]": "in a trajectory",
    "needle": 'in "needle"',
    "ablation": 'in "ablation"',
}

#: why a known key goes unread, for the keys read only with some others (the rest: _NOT_APPLICABLE)
_WHY_UNREAD = {
    ("", "positions_per_trajectory"): 'the spec gives "pullback_mm", which sets the positions instead',
    ("ablation", "width_mm"): 'the zone is the "profile"\'s',
    ("ablation", "length_mm"): 'the zone is the "profile"\'s',
    ("trajectories[]", "skin_lps"): 'read only for a "direct" approach without "entry_lps"/"target_lps"',
}
_NOT_APPLICABLE = "it does not apply with the other keys given"


def unused_key_warnings(spec: Any) -> list[str]:
    """One sentence per key of ``spec`` (a :class:`planning.spec_reads.ReadRecorder` a plan was made
    from) that no reader took, naming it by its place: a key this plan reads elsewhere, or in no place,
    is said to be perhaps misspelt (with the nearest known key); a known key that did not apply is not."""
    out: list[str] = []
    for path in unread_paths(spec):
        parent, _, key = path.rpartition(".")
        place = place_of(parent)
        known = SPEC_KEYS.get(place)
        if known is not None and key in known:
            why = _WHY_UNREAD.get((place, key), _NOT_APPLICABLE)
            out.append(f"spec key {path} was not used by this plan ({why}); the plan was made without it")
            continue
        elsewhere = [p for p, keys in SPEC_KEYS.items() if key in keys]
        if elsewhere:
            hint = f"{key} is read {' or '.join(_PLACE_WORDS[p] for p in elsewhere)}, not here"
        elif known is None:
            hint = "not a key the plan reads here"
        else:
            close = nearest_key(key, known)
            hint = f"misspelt? did you mean {close}?" if close else "misspelt?"
        out.append(f"spec key {path} was not used ({hint}); the plan was made without it")
    return out


def missing_key(spec: Any, key: str, where: str, expected: str) -> PlanValidationError:
    """The refusal of a required key ``key`` missing from the object ``spec`` at ``where`` (its place in the
    spec, "" at the top): when the object gives a key unknown there whose nearest known key is ``key``
    (:data:`SPEC_KEYS`, as for :func:`unused_key_warnings`), the refusal names it as probably meant (QA s31:
    ``"target"`` for ``"targets"`` or ``"lesion_seed"`` for ``"lesion_seed_lps"`` was refused only as
    missing, the key given not named)."""
    place = place_of(where)
    known = SPEC_KEYS.get(place, frozenset())
    keys = dict.keys(spec) if isinstance(spec, dict) else ()  # dict's own keys: looking is not reading
    given = [k for k in keys if isinstance(k, str) and k not in known and nearest_key(k, known) == key]
    if given:
        said = " and ".join(f'"{k}"' for k in given)
        here = _PLACE_WORDS.get(place, "here")
        expected = f'{expected}; the spec gives {said} {here}: misspelt? did you mean "{key}"?'
    return PlanValidationError(f"{where}.{key}" if where else key, None, expected)
