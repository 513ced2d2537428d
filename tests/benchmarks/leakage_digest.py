"""Study (not run in CI): show a change left :func:`planning.leakage_map.leakage_zones` bit for bit the same.

A pytest plugin that records, for every call of ``leakage_zones`` the tests make, a SHA-256 of its whole
output (each zone's kind, name, volume, description, flags and full mask array; the posterior-quarter
mask; the body depth, band width, notes and endplate contacts) or the error it raised, keyed by test and
call number; and a ``compare`` command. Run it once per checkout, on the leakage tests::

    cd <checkout> && LEAKAGE_DIGEST_OUT=/tmp/old.json PYTHONPATH=.:<this folder> \\
        .venv/bin/pytest -q -p no:xvfb -p leakage_digest tests/planning/test_leakage.py \\
        tests/planning/test_leakage_band.py tests/planning/test_body_depth.py \\
        tests/planning/test_target_report.py tests/planning/test_cement_risk_case1.py
    .venv/bin/python tests/benchmarks/leakage_digest.py compare /tmp/old.json /tmp/new.json

``<out>.kinds`` beside the digests counts the zone kinds and notes seen, to show which steps ran.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter
from typing import Any

import numpy as np

_records: dict[str, str] = {}
_kinds: Counter[str] = Counter()
_calls: Counter[str] = Counter()
_test = ["<collection>"]
_original: list[Any] = []


def _digest(result: Any) -> str:
    """SHA-256 of everything a LeakageMap holds (masks as full arrays on the volume's grid)."""
    h = hashlib.sha256()

    def add_array(mask: Any) -> None:
        full = np.ascontiguousarray(mask.to_full())
        h.update(repr((full.shape, full.dtype.str)).encode())
        h.update(full.tobytes())

    for z in result.zones:
        h.update(repr((z.kind.value, z.name, z.volume_ml, z.description, z.approximate)).encode())
        h.update(repr(z.mask_volume_ml).encode())
        add_array(z.mask)
    add_array(result.posterior_quarter)
    h.update(repr((result.body_depth_mm, result.band_mm, result.notes, result.endplate_contacts)).encode())
    return h.hexdigest()


def _recorded(*args: Any, **kwargs: Any) -> Any:
    key = f"{_test[0]}#{_calls[_test[0]]}"
    _calls[_test[0]] += 1
    try:
        result = _original[0](*args, **kwargs)
    except Exception as exc:  # recorded, then raised again: the error is part of the behaviour
        _records[key] = f"raised {type(exc).__name__}: {exc}"
        raise
    _records[key] = f"{len(result.zones)} zones {_digest(result)}"
    _kinds.update(f"zone {z.kind.value} (approximate={z.approximate})" for z in result.zones)
    _kinds.update(f"note {n[:70]}" for n in result.notes)
    return result


def _patch_loaded_modules() -> None:
    """Point every loaded module's ``leakage_zones`` name at the recorder (tests import it by name)."""
    for module in list(sys.modules.values()):
        if module is not None and getattr(module, "leakage_zones", None) is _original[0]:
            module.leakage_zones = _recorded  # type: ignore[attr-defined]


def pytest_configure(config: Any) -> None:
    import planning.leakage  # re-exports the function: patched below too
    import planning.leakage_map

    _original.append(planning.leakage_map.leakage_zones)
    _records["__file__"] = str(planning.leakage_map.__file__)
    _patch_loaded_modules()


def pytest_collection_finish(session: Any) -> None:
    _patch_loaded_modules()


def pytest_runtest_protocol(item: Any, nextitem: Any) -> None:
    _test[0] = item.nodeid
    _patch_loaded_modules()


def pytest_unconfigure(config: Any) -> None:
    out = os.environ["LEAKAGE_DIGEST_OUT"]
    with open(out, "w") as f:  # noqa: PTH123
        json.dump(_records, f, indent=1, sort_keys=True)
    with open(out + ".kinds", "w") as f:  # noqa: PTH123
        json.dump(dict(sorted(_kinds.items())), f, indent=1)


def compare(old_path: str, new_path: str) -> int:
    """Print how many calls match; 0 when every call of both runs gave the same digest."""
    with open(old_path) as f:  # noqa: PTH123
        old = json.load(f)
    with open(new_path) as f:  # noqa: PTH123
        new = json.load(f)
    print(f"old: {old.pop('__file__')}\nnew: {new.pop('__file__')}")
    differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    raised = sum(v.startswith("raised") for v in old.values())
    print(f"{len(old)} calls before ({raised} raised), {len(new)} after, {len(old) - len(differ)} identical")
    for k in differ:
        print(f"DIFFERS {k}: {old.get(k)} -> {new.get(k)}")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "compare":
        sys.exit(__doc__)
    sys.exit(compare(sys.argv[2], sys.argv[3]))
