"""``osteoplan anatomy --level`` warns when the level named and the vertebra's ribs disagree (session 19
QA F8: ``--level T12`` given to the abdomen's L1 gave level "T12", level_suggestion null, no warning).

The abdomen CT (3 mm, model labels: T12 at the scan's top, L1 below it). The warning is in ``warnings``
and the text; the suggestion L1 (the vertebra above carries ribs) in ``level_suggestion``. DESIGN.md's
keys stay as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.cli import Context, build_parser

#: body clicks (LPS mm) on the abdomen's L1 and T12 (the QA's points)
L1_CLICK = "6.5,-120.9,386.0"
T12_CLICK = "4.5,-111,416.6"

pytestmark = pytest.mark.realdata


def _anatomy(path: Path, click: str, level: str) -> tuple[dict[str, Any], str]:
    parser, modules = build_parser()
    args = parser.parse_args(["anatomy", str(path), f"--vertebra={click}", "--level", level])
    result = modules["anatomy"].run(args, Context())
    text = result.pop("_text")
    return json.loads(json.dumps(result)), text


def test_l1_named_t12_is_warned_with_the_l1_suggestion(shared_data: Path) -> None:
    ct = shared_data / "abdomen-pelvis-ct" / "ct.nii.gz"
    js, text = _anatomy(ct, L1_CLICK, "T12")
    assert {"vertebral_body", "spinal_canal", "posterior_wall", "pedicles", "level"} <= set(js)
    assert js["level"] == "T12"  # the operator's name is kept
    said = [w for w in js["warnings"] if "named T12 but no ribs were found" in w]
    assert len(said) == 1, js["warnings"]
    assert f"  warning: {said[0]}" in text.splitlines()
    suggestion = js["level_suggestion"]
    assert suggestion is not None and suggestion["level"] == "L1", suggestion
    assert any("was named T12" in w for w in suggestion["warnings"])
    # named right: no word about the ribs
    js, _ = _anatomy(ct, L1_CLICK, "L1")
    assert not any("ribs" in w for w in js["warnings"]) and js["level_suggestion"] is None


def test_t12_named_l1_is_warned_and_named_right_is_not(shared_data: Path) -> None:
    ct = shared_data / "abdomen-pelvis-ct" / "ct.nii.gz"
    js, _ = _anatomy(ct, T12_CLICK, "L1")
    assert any("named L1 but ribs were found on both sides" in w for w in js["warnings"]), js["warnings"]
    assert js["level_suggestion"]["level"] == "T12" and js["level_suggestion"]["warnings"]
    js, _ = _anatomy(ct, T12_CLICK, "T12")
    assert not any("ribs" in w for w in js["warnings"]), js["warnings"]
    assert js["level_suggestion"] == {
        "level": "T12",
        "reason": "lowest vertebra with ribs (left and right)",
        "warnings": [],
    }
