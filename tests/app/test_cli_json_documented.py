"""Every key the command line prints with ``--json`` is documented in docs/cli-json.md, and back.

Each subcommand (``info``, ``convert``, ``segment``, ``anatomy``, ``plan``) runs once, in-process, on a
vertebra phantom written as a real DICOM series (tests/phantoms/dicom_writer.py), with the options that
add keys: ``segment --box --out`` and ``plan`` (a vertebral and an extraspinal target) on the phantom
with a lytic lesion; ``anatomy --level --out`` on one with a lytic breach of the posterior wall beside a
basivertebral foramen (tests/imaging/wall_phantoms.py), so that both lists of the wall are filled. The
JSON's key paths are walked (``a.b`` for a key in an object, ``a[]`` for each element of a list of
objects, every element; lists of numbers or strings are not walked) and compared with the tables of
docs/cli-json.md, one per ``## `osteoplan <command>` `` section, whose rows start with the path in
backticks and end with its status: ``DESIGN`` or ``added``, followed by ``, sometimes`` for a key
printed only in some cases.

- every path printed is documented (a new key must be added to the page);
- every documented path not marked ``sometimes`` is printed by these runs (the page names no key that
  does not exist, and says which ones are conditional).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.cli import main
from tests.imaging.wall_phantoms import with_foramen_and_breach
from tests.phantoms.dicom_writer import write_dicom_series
from tests.phantoms.vertebra import make_vertebra_phantom
from tests.planning.test_proposals import padded

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "cli-json.md"
COMMANDS = ("info", "convert", "segment", "anatomy", "plan")
STATUSES = {"DESIGN", "added", "DESIGN, sometimes", "added, sometimes"}
#: x, y, z, radius (mm, the body's frame): a lytic lesion in the body, as tests/planning/conftest.py
LESION_LOCAL = (-6.0, -3.0, 0.0, 7.0)
#: a table row: ``| `path` | meaning | status |``
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|.*\|\s*([^|]*?)\s*\|\s*$")
SECTION = re.compile(r"^## `osteoplan (\w+)`")


def documented(text: str) -> dict[str, dict[str, str]]:
    """``{command: {path: status}}`` from the page's tables."""
    out: dict[str, dict[str, str]] = {}
    command: str | None = None
    for line in text.splitlines():
        heading = SECTION.match(line)
        if heading:
            command = heading.group(1)
            out[command] = {}
        elif line.startswith("## "):
            command = None
        elif command is not None:
            row = ROW.match(line)
            if row:
                path, status = row.groups()
                assert path not in out[command], f"{command}: {path} documented twice"
                out[command][path] = status
    return out


def key_paths(value: Any, prefix: str = "") -> Iterator[str]:
    """The key paths of a JSON value: ``a.b`` for a key in an object, ``a[]`` for each element of a list
    of objects (every element walked)."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield from key_paths(item, f"{prefix}[]")


def _csv(values: Any) -> str:
    return ",".join(f"{v:.2f}" for v in np.asarray(values, dtype=np.float64).ravel())


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """``{command: paths printed}`` over the runs."""
    tmp = tmp_path_factory.mktemp("cli_json")
    phantom = make_vertebra_phantom(spacing_mm=(1.0, 1.0, 1.0), lesion=LESION_LOCAL)
    assert phantom.lesion_center_lps is not None
    folder = tmp / "ct"
    write_dicom_series(padded(phantom), folder)
    # anatomy: a wall with a lytic breach beside a basivertebral foramen (both lists of the wall filled in),
    # as tests/imaging/test_vertebra_wall.py
    walled, _, _ = with_foramen_and_breach(
        foramen_mm=(7.8, 5.4, 8.0), radius_mm=5.0, inset_mm=1.5, x_mm=8.0, seed=5
    )
    wall_folder = tmp / "wall"
    write_dicom_series(walled.volume, wall_folder)
    seed = phantom.lesion_center_lps
    spec = {
        "targets": [
            {"name": "L3", "lesion_seed_lps": seed.tolist(), "vertebra_lps": phantom.center_lps.tolist()},
            # extraspinal (no vertebra_lps): Mirels, impending fracture, and Harrington from its choices
            {
                "name": "X",
                "lesion_seed_lps": seed.tolist(),
                "choices": {"harrington": {"medial_wall_deficient": True}},
            },
        ],
        "trajectories": [
            {"target": "L3", "approach": "transpedicular-left"},
            {
                "target": "X",
                "entry_lps": (seed + np.array([0.0, 60.0, 0.0])).tolist(),
                "target_lps": seed.tolist(),
            },
        ],
        "needle": {"gauge": 13, "antenna_extension_mm": 15},
        "ablation": {"profile": "Emprint 100 W 5 min"},
        "positions_per_trajectory": 1,
        "margin_mm": 2,
    }
    spec_path = tmp / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    box = _csv([seed - 12.0, seed + 12.0])
    runs = {
        "info": ["info", str(folder)],
        "convert": ["convert", str(folder), "--out", str(tmp / "ct.nii.gz")],
        "segment": [
            "segment",
            str(folder),
            "--seed",
            _csv(seed),
            "--box",
            box,
            "--out",
            str(tmp / "l.nii.gz"),
        ],
        "anatomy": [
            "anatomy",
            str(wall_folder),
            "--vertebra",
            _csv(walled.center_lps),
            "--level",
            "L3",
            "--out",
            str(tmp / "labels.nii.gz"),
        ],
        "plan": ["plan", str(folder), "--spec", str(spec_path), "--out", str(tmp / "case.osteoplan")],
    }
    return {command: set(key_paths(_run_captured(args))) for command, args in runs.items()}


def _run_captured(args: list[str]) -> dict[str, Any]:
    """Run the command line with stdout captured (a module-scoped fixture has no ``capsys``)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--json"])
    assert code == 0, err.getvalue()
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


@pytest.fixture(scope="module")
def doc() -> dict[str, dict[str, str]]:
    return documented(DOC.read_text(encoding="utf-8"))


def test_the_page_has_a_table_per_command_with_known_statuses(doc: dict[str, dict[str, str]]) -> None:
    assert set(doc) == set(COMMANDS)
    for command, rows in doc.items():
        assert rows, f"{command}: no table rows"
        bad = {path: status for path, status in rows.items() if status not in STATUSES}
        assert not bad, f"{command}: unknown status {bad}"
        # each path's parent object or list is documented too (a typo in a ``sometimes`` path, which no
        # run need print, shows here when it is in the parent's part)
        orphans = [p for p in rows if "." in p and p.rsplit(".", 1)[0].removesuffix("[]") not in rows]
        assert not orphans, f"{command}: paths whose parent is not documented: {orphans}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_key_printed_is_documented(
    command: str, printed: dict[str, set[str]], doc: dict[str, dict[str, str]]
) -> None:
    missing = sorted(printed[command] - set(doc[command]))
    assert not missing, (
        f"osteoplan {command} --json prints keys docs/cli-json.md does not document: {missing}"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_key_documented_is_printed_unless_marked_sometimes(
    command: str, printed: dict[str, set[str]], doc: dict[str, dict[str, str]]
) -> None:
    always = {path for path, status in doc[command].items() if not status.endswith("sometimes")}
    absent = sorted(always - printed[command])
    assert not absent, (
        f"docs/cli-json.md documents keys of osteoplan {command} that these runs do not print "
        f"(mark them 'sometimes' if they are printed only in some cases): {absent}"
    )


def test_the_walk_and_the_parser_read_what_they_should() -> None:
    """The key walk and the table parser on small made-up inputs (so the checks above cannot pass
    vacuously)."""
    js = {"a": {"b": 1, "c": [{"d": 2}, {"e": 3}], "f": [[1, 2]], "g": ["x"]}}
    assert list(key_paths(js)) == ["a", "a.b", "a.c", "a.c[].d", "a.c[].e", "a.f", "a.g"]
    page = (
        "## `osteoplan info`\n\n| path | meaning | status |\n|---|---|---|\n"
        "| `series` | the series | DESIGN |\n| `series[].x` | x, `[a, b]` | added, sometimes |\n"
        "## Other\n| `not.this` | no | added |\n"
    )
    assert documented(page) == {"info": {"series": "DESIGN", "series[].x": "added, sometimes"}}
