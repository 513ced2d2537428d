"""``osteoplan anatomy`` says what the search did not see (QA session 17, items 7, 10 and 3).

New keys beside DESIGN.md's (which stay as they are): ``body_cut_by_scan``, ``endplates`` (centre and
tilt), ``metal`` and ``warnings``; the warnings head the text output. On the vertebra phantom with its
neighbours, cut through the body by the top of the scan.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import Context, build_parser
from imaging.load import save_volume
from tests.phantoms.vertebra import make_vertebra_phantom

#: the phantom's body kept in view below the scan's top (mm): taller than the shortest body refused
KEPT_MM = 18.0
CUT_WORDS = "body cut by the top of the scan: height and volume are partial, superior end plate not seen"


def test_cut_body_endplates_and_metal_keys(tmp_path: Path) -> None:
    ph = make_vertebra_phantom(adjacent=True, seed=5)
    vol = ph.volume  # axial, head first: axis 0 runs to +z
    n = vol.shape[0]
    z = vol.index_to_lps_points(np.stack([np.arange(n), np.zeros(n), np.zeros(n)], axis=1))[:, 2]
    stop = int(np.flatnonzero(z <= ph.center_lps[2] - 0.5 * ph.body_height_mm + KEPT_MM).max()) + 1
    path = tmp_path / "cut.nii.gz"
    save_volume(vol.crop((0, 0, 0), (stop, vol.shape[1], vol.shape[2])), path)
    click = ph.center_lps - np.array([0.0, 0.0, 3.0])
    parser, modules = build_parser()
    point = ",".join(f"{v:.2f}" for v in click)
    result = modules["anatomy"].run(
        parser.parse_args(["anatomy", str(path), f"--vertebra={point}"]), Context()
    )
    text = result.pop("_text")
    js = json.loads(json.dumps(result))
    # DESIGN.md's keys are all there
    assert {"vertebral_body", "spinal_canal", "posterior_wall", "pedicles", "level"} <= set(js)
    assert js["body_cut_by_scan"] == ["top"]
    assert js["warnings"] == [CUT_WORDS]
    assert js["metal"] is None
    assert js["endplates"]["superior"] == {"found": False, "cut_by_scan": True}
    inferior = js["endplates"]["inferior"]
    assert inferior["found"]
    # the inferior endplate's centre within 2 mm of the truth's (its layer's middle lies 1 mm inside),
    # square to the axial plane as the phantom is (within 4 degrees)
    assert np.linalg.norm(np.subtract(inferior["center_lps"], ph.inferior_endplate_center_lps)) <= 2.0
    assert inferior["tilt_from_axial_deg"] <= 4.0
    lines = text.splitlines()
    assert lines[1] == f"  warning: {CUT_WORDS}"
    assert "  superior endplate: not seen (the edge of the scan cuts the body there)" in lines
    assert any(line.startswith("  inferior endplate: found, centre (") for line in lines)


@pytest.mark.realdata
def test_a_wall_not_seen_is_said_not_assessed(shared_data: Path) -> None:
    """QA s19 F3: on the three-slice feet-first series the body is cut by both ends of the scan and its
    wall cannot be judged; the text said "posterior wall: 0 gap(s)" and the JSON only ``intact: false``.
    Now ``assessed`` is false beside ``intact`` and the text says "not assessed"."""
    parser, modules = build_parser()
    # a point in the body, 1.3 mm behind its centroid (the QA's (-28.3, 77, -127.7) lies in the spinal
    # canal, which is now refused: imaging.click_place)
    args = ["anatomy", str(shared_data / "feet-first-3slice"), "--vertebra=-28.3,70,-127.7"]
    result = modules["anatomy"].run(parser.parse_args(args), Context())
    text = result.pop("_text")
    wall = json.loads(json.dumps(result))["posterior_wall"]
    assert wall["intact"] is False and wall["defects"] == [] and wall["assessed"] is False, wall
    assert wall["uncertain"] is True and "too little of the wall was seen" in wall["uncertain_reason"]
    (line,) = [x for x in text.splitlines() if x.startswith("  posterior wall: ")]
    assert line.startswith("  posterior wall: not assessed"), line
    assert "gap(s)" not in line
