"""A vertebra's anatomy figures as the Vertebrae dock shows them (planning.vertebra_figures).

On the vertebra phantom (tests/phantoms/vertebra.py) pitched 10 degrees, with a posterior-wall defect of
known place: figures against the phantom's construction; a pedicle not traced says so, with the
anatomy's reason when it gave one; why the wall's reading is uncertain (QA session 17 V, item 5).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_metal import MetalFinding
from imaging.vertebra_model import Side
from imaging.vertebra_steps import WALL_NOT_ASSESSED_NOTE as WALL_NOT_ASSESSED
from imaging.wall_gaps import UNRESOLVED_NOTE as WALL_UNRESOLVED
from planning.trajectory_geometry import craniocaudal_deg, mediolateral_deg
from planning.vertebra_figures import (
    FORAMEN,
    FORAMEN_LINE,
    NO_REASON,
    figure_lines,
    figures_text,
    vertebra_figures,
    wall_uncertainty,
)
from tests.phantoms.vertebra import make_vertebra_phantom


@pytest.fixture(scope="module")
def found() -> Any:
    ph = make_vertebra_phantom(pitch_deg=10.0, wall_defect=(9.0, 3.0, 9.0))
    return ph, find_vertebra(ph.volume, ph.center_lps)


def test_figures_follow_the_anatomy(found: Any) -> None:
    ph, anatomy = found
    fig = vertebra_figures(anatomy)
    assert json.loads(figures_text(anatomy)) == fig  # kept as JSON text in the body layer
    assert fig["body_volume_ml"] == pytest.approx(ph.body_volume_ml, rel=0.2)
    assert fig["body_height_mm"] == pytest.approx(ph.body_height_mm, abs=3.0)
    for side in (Side.LEFT, Side.RIGHT):
        truth = ph.pedicles[side]
        p = fig["pedicles"][side.value]
        assert p["traced"] is True
        assert p["min_width_mm"] == pytest.approx(anatomy.pedicles[side].min_width_mm, abs=0.01)
        axis = anatomy.pedicles[side]
        traced = np.subtract(axis.axis_target_lps, axis.axis_entry_lps)  # a needle along the axis
        assert p["craniocaudal_deg"] == pytest.approx(craniocaudal_deg(traced), abs=0.05)
        assert p["mediolateral_deg"] == pytest.approx(mediolateral_deg(traced), abs=0.05)
        # the sign convention against the construction: a needle from the back towards the body points
        # caudally (the phantom is pitched 10 deg) and medially
        needle = truth.target_lps - truth.entry_lps
        assert np.sign(p["craniocaudal_deg"]) == np.sign(craniocaudal_deg(needle)) != 0
        assert np.sign(p["mediolateral_deg"]) == np.sign(mediolateral_deg(needle)) != 0
    assert fig["pedicles"]["left"]["mediolateral_deg"] < 0 < fig["pedicles"]["right"]["mediolateral_deg"]
    assert fig["posterior_wall_intact"] is False and fig["wall_defects"]
    nearest = min(
        np.linalg.norm(np.subtract(d["center_lps"], ph.wall_defect_center_lps)) for d in fig["wall_defects"]
    )
    assert nearest <= 4.0  # the defect's place, within its own size (mm)
    lines = figure_lines(fig)
    text = "\n".join(lines)
    assert f"body: {fig['body_volume_ml']:.1f} mL, height {fig['body_height_mm']:.1f} mm" in lines
    assert f"canal: {fig['canal_area_mm2']:.0f} mm²" in lines
    assert "posterior wall: " in text and "defect: " in text and "mm LPS" in text
    assert f"left pedicle: narrowest {fig['pedicles']['left']['min_width_mm']:.1f} mm" in text
    assert "deg" in text
    assert "superior endplate: found" in text and "inferior endplate: found" in text


def test_a_pedicle_not_traced_says_so(found: Any) -> None:
    _ph, anatomy = found
    no_left = dataclasses.replace(
        anatomy,
        pedicles={s: p for s, p in anatomy.pedicles.items() if s != Side.LEFT},
        notes=(*anatomy.notes, "left pedicle not traced"),
    )
    lines = figure_lines(vertebra_figures(no_left))
    assert f"left pedicle: not traced - {NO_REASON}" in lines
    assert any(line.startswith("right pedicle: narrowest") for line in lines)
    reason = "left pedicle cut by the edge of the image"
    with_reason = dataclasses.replace(no_left, notes=(*no_left.notes, reason))
    lines = figure_lines(vertebra_figures(with_reason))
    assert "left pedicle: not traced - cut by the edge of the image" in lines
    no_plates = dataclasses.replace(anatomy, superior_endplate=None)
    assert "superior endplate: not found" in figure_lines(vertebra_figures(no_plates))


def test_a_foramen_line_does_not_repeat_its_label_and_writes_mm2() -> None:
    # a description as the anatomy search writes it (imaging.vertebra_wall: "<what>, <area> mm^2, ...")
    foramen = {
        "center_lps": [-6.6, 143.3, -45.3],
        "size_mm": 4.2,
        "description": f"{FORAMEN}, 10 mm^2, 4 x 4 mm (across x along the spine), at the midline, "
        "-0 mm from mid-height",
    }
    gap = {**foramen, "description": "posterior wall gap (lytic: not the basivertebral foramen), 30 mm^2"}
    figures = {
        "body_volume_ml": 19.7,
        "body_height_mm": 20.3,
        "canal_area_mm2": 195.0,
        "posterior_wall_intact": False,
        "wall_defects": [gap],
        "basivertebral_foramina": [foramen],
    }
    lines = figure_lines(figures)
    (line,) = [x for x in lines if x.startswith(f"  {FORAMEN_LINE}")]
    assert line.count("basivertebral foramen") == 1
    assert line == (
        f"  {FORAMEN_LINE}: 4.2 mm at (-6.6, 143.3, -45.3) mm LPS - 10 mm², 4 x 4 mm "
        "(across x along the spine), at the midline, 0 mm from mid-height"
    )
    assert (
        "  defect: 4.2 mm at (-6.6, 143.3, -45.3) mm LPS - posterior wall gap (lytic: not the "
        in "\n".join(lines)
    )
    assert not any("mm^2" in x for x in lines)


def test_a_foramen_beside_a_faint_wall_is_named_once_and_set_apart_from_defects() -> None:
    """QA session 21 F5: a foramen where the scan does not resolve the cortex beside it read "basivertebral
    foramen (normal): 11.2 mm at ... - basivertebral foramen (normal; the wall's cortex beside it is not
    resolved on this scan), 55 mm², ...": the name twice, in the same form as a defect's line."""
    faint = "basivertebral foramen (normal; the wall's cortex beside it is not resolved on this scan)"
    foramen = {
        "center_lps": [-0.7, -124.8, 312.6],
        "size_mm": 11.2,
        "description": f"{faint}, 55 mm^2, 7 x 11 mm (across x along the spine), at the midline, "
        "-3 mm from mid-height",
    }
    figures = {
        "body_volume_ml": 41.7,
        "body_height_mm": 27.0,
        "canal_area_mm2": 279.0,
        "posterior_wall_intact": True,
        "wall_defects": [],
        "basivertebral_foramina": [foramen],
    }
    lines = figure_lines(figures)
    (line,) = [x for x in lines if "basivertebral" in x]
    assert line.count("basivertebral foramen") == 1
    assert line.count("normal") == 1
    assert "not a defect" in line and not line.strip().startswith("defect")
    assert line == (
        f"  {FORAMEN_LINE}: 11.2 mm at (-0.7, -124.8, 312.6) mm LPS - 55 mm², 7 x 11 mm (across x along "
        "the spine), at the midline, -3 mm from mid-height; the wall's cortex beside it is not resolved on "
        "this scan"
    )
    assert "posterior wall: intact" in lines


def test_wall_uncertainty_names_what_the_search_knows(found: Any) -> None:
    """``posterior_wall_uncertain`` (the command line's ``posterior_wall.uncertain`` and its reason): empty
    when nothing known makes the wall's reading uncertain, one plain reason for each thing that does."""
    _ph, anatomy = found
    wall_notes = (WALL_NOT_ASSESSED, WALL_UNRESOLVED)
    plain = dataclasses.replace(
        anatomy,
        noise_warning=None,
        metal=None,
        body_cut_by_view=(),
        notes=tuple(n for n in anatomy.notes if not n.startswith(wall_notes)),
        posterior_wall_assessed=True,
    )
    assert wall_uncertainty(plain) == []
    assert vertebra_figures(plain)["posterior_wall_uncertain"] == []

    def reasons(**changes: Any) -> list[str]:
        return wall_uncertainty(dataclasses.replace(plain, **changes))

    noisy = reasons(noise_warning="the image is noisy (noise about 66 HU on its 3 x 3 x 3 mm voxels): ...")
    assert len(noisy) == 1 and noisy[0].startswith("the image is noisy")
    rod = MetalFinding(volume_ml=1.45, max_hu=3071.0, center_lps=(0.0, 0.0, 0.0), side="right", near=())
    # metal by a pedicle only leaves the wall's reading alone; next to the body it does not
    assert reasons(metal=dataclasses.replace(rod, near=("right pedicle",))) == []
    by_body = reasons(metal=dataclasses.replace(rod, near=("vertebral body", "right pedicle")))
    assert by_body == ["metal lies next to the vertebral body: its streaks change the wall's CT numbers"]
    assert reasons(posterior_wall_assessed=False) == ["too little of the wall was seen to judge it"]
    unresolved = reasons(notes=(*plain.notes, f"{WALL_UNRESOLVED} over 83 mm^2 right of midline, ..."))
    assert len(unresolved) == 1 and "in 1 place(s)" in unresolved[0]
    assert reasons(body_cut_by_view=("superior",))[0].startswith("the edge of the scan cuts the body")
    assert len(reasons(noise_warning="noisy", body_cut_by_view=("inferior",))) == 2
    # the dock's lines say them under the wall's line
    lines = figure_lines(vertebra_figures(dataclasses.replace(plain, noise_warning="noisy")))
    wall = next(i for i, line in enumerate(lines) if line.startswith("posterior wall: "))
    assert lines[wall + 1] == f"  uncertain: {noisy[0]}"
    assert not any(line.startswith("  uncertain: ") for line in figure_lines(vertebra_figures(plain)))


def test_a_wall_not_assessed_is_not_called_broken(found: Any) -> None:
    """QA s19 F3: a wall too little seen to judge (a body cut by the scan: feet-first-3slice) was shown
    as "posterior wall: not intact" in the dock and "0 gap(s)" on the command line, and counted as
    posterior-wall destruction in the leakage risk. Unknown is said as unknown."""
    _ph, anatomy = found
    unseen = dataclasses.replace(
        anatomy, posterior_wall_intact=False, posterior_wall_defects=(), posterior_wall_assessed=False
    )
    figures = vertebra_figures(unseen)
    assert figures["posterior_wall_assessed"] is False
    assert "posterior wall: not assessed" in figure_lines(figures)
    assert unseen.to_json()["posterior_wall"]["assessed"] is False
    # figures saved before the key existed read as assessed
    old = {k: v for k, v in vertebra_figures(anatomy).items() if k != "posterior_wall_assessed"}
    assert "posterior wall: not assessed" not in figure_lines({**old, "posterior_wall_intact": False})


@pytest.mark.parametrize(
    ("side", "mediolateral", "course"),
    [
        ("left", 4.6, "diverging: runs laterally"),
        ("left", -10.1, "converging: runs medially"),
        ("right", 6.2, "converging: runs medially"),
        ("right", -5.2, "diverging: runs laterally"),
        ("right", 0.04, "parallel to the sagittal plane"),
    ],
)
def test_a_pedicle_line_says_which_way_its_axis_runs(side: str, mediolateral: float, course: str) -> None:
    # QA session 25 E4: abdomen L3's left axis read "mediolateral +4.6 deg" with no sign convention, while
    # its note said "shown parallel to the midline": + (towards the patient's left) is lateral on the left
    # pedicle, medial on the right one
    figures = {
        "body_volume_ml": 42.4,
        "body_height_mm": 27.1,
        "canal_area_mm2": 284.0,
        "posterior_wall_intact": True,
        "pedicles": {
            side: {
                "traced": True,
                "min_width_mm": 11.0,
                "craniocaudal_deg": 1.0,
                "mediolateral_deg": mediolateral,
            }
        },
    }
    (line,) = [x for x in figure_lines(figures) if x.startswith(f"{side} pedicle:")]
    assert (
        f"mediolateral {mediolateral:+.1f} deg ({course}; entry to target, + cranial / to the patient's left)"
        in line
    )
    other = {"diverging: runs laterally", "converging: runs medially", "parallel to the sagittal plane"} - {
        course
    }
    assert not any(o in line for o in other)


def test_the_figures_keep_each_pedicle_axis_to_draw_it_again(found: Any) -> None:
    # the views draw the axes of a reopened case from the figures kept with the body layer (QA s25 E7)
    from planning.pedicle_axis_figures import pedicle_axes

    _, anatomy = found
    axes = pedicle_axes(figures_text(anatomy))
    assert [a.side for a in axes] == ["left", "right"]
    for kept in axes:
        axis = anatomy.pedicles[Side(kept.side)]
        assert np.allclose(kept.entry_lps, axis.axis_entry_lps, atol=0.005)
        assert np.allclose(kept.target_lps, axis.axis_target_lps, atol=0.005)
        assert np.allclose(kept.isthmus_lps, axis.isthmus_lps, atol=0.005)
        assert kept.min_width_mm == pytest.approx(axis.min_width_mm, abs=0.005)
        assert kept.min_width_uncertainty_mm == pytest.approx(axis.min_width_uncertainty_mm, abs=0.005)


def test_the_body_volume_is_rounded_once_where_it_is_said(found: Any) -> None:
    """Kept to 0.01 mL and said to 0.1, a body of 20.849 mL read 20.9 mL (20.85 rounded again) where the
    status bar, rounding the figure once, said 20.8 (QA s29 F2 / G)."""
    _, anatomy = found
    fig = vertebra_figures(dataclasses.replace(anatomy, body_volume_ml=20.849))
    assert fig["body_volume_ml"] == 20.849
    assert "body: 20.8 mL, height" in "\n".join(figure_lines(fig))
