"""The end plate's line says how far its tilt can be trusted (session 26: the dock and the command line gave
the tilt with no uncertainty, also where it followed the mask's slice steps)."""

from __future__ import annotations

from typing import Any

from imaging.endplate_fit import LAYER_PAST_EDGE_WORDS
from planning.endplate_words import UNCERTAIN_TILT_DEG, endplate_text, tilt_is_uncertain
from planning.vertebra_figures import figure_lines


def _plate(**extra: Any) -> dict[str, Any]:
    plate = {
        "found": True,
        "center_lps": [5.0, -120.0, 380.0],
        "tilt_from_axial_deg": 13.1,
        "sagittal_tilt_deg": 12.9,
        "coronal_tilt_deg": -1.4,
    }
    plate.update(extra)
    return plate


def test_an_edge_read_tilt_says_its_uncertainty_in_whole_degrees_rounded_up() -> None:
    line = endplate_text(_plate(tilt_from="ct_edge", tilt_uncertainty_deg=2.3))
    assert "sagittal +12.9, coronal -1.4 deg, ±3 deg (from the edge read on the CT)" in line
    assert "uncertain" not in line
    assert not tilt_is_uncertain(_plate(tilt_from="ct_edge", tilt_uncertainty_deg=2.3))
    assert "±1 deg" in endplate_text(_plate(tilt_from="ct_edge", tilt_uncertainty_deg=0.2))


def test_a_tilt_from_the_mean_edge_says_so() -> None:
    line = endplate_text(_plate(tilt_from="ct_edge_mean", tilt_uncertainty_deg=1.9))
    assert "±2 deg (from the edge read on the CT's mean over the plate" in line


def test_a_tilt_from_the_mask_steps_is_uncertain_without_a_figure_for_it() -> None:
    plate = _plate(tilt_from="mask_layer", tilt_uncertainty_deg=None)
    line = endplate_text(plate)
    assert "uncertain, no edge read on the CT" in line and "±" not in line
    assert tilt_is_uncertain(plate)


def test_a_large_spread_is_uncertain() -> None:
    plate = _plate(tilt_from="ct_edge_mean", tilt_uncertainty_deg=UNCERTAIN_TILT_DEG + 1.2)
    line = endplate_text(plate)
    assert f"uncertain, ±{int(UNCERTAIN_TILT_DEG) + 2} deg (the plate's parts disagree" in line
    assert tilt_is_uncertain(plate)
    assert not tilt_is_uncertain(_plate(tilt_from="ct_edge", tilt_uncertainty_deg=UNCERTAIN_TILT_DEG))


def test_figures_saved_before_the_uncertainty_read_as_before() -> None:
    plate = _plate()
    assert endplate_text(plate) == (
        "found, centre (5.0, -120.0, 380.0) mm LPS, tilted 13.1 deg from the axial plane "
        "(sagittal +12.9, coronal -1.4 deg; + rises anteriorly / to the left), drawn as a layer"
    )
    assert not tilt_is_uncertain(plate)


def test_the_figure_lines_carry_the_end_plate_words() -> None:
    figures = {
        "body_volume_ml": 30.0,
        "body_height_mm": 25.0,
        "canal_area_mm2": 200.0,
        "posterior_wall_intact": True,
        "endplates": {"superior": _plate(tilt_from="mask_layer", tilt_uncertainty_deg=None)},
    }
    lines = figure_lines(figures)
    assert any(ln.startswith("superior endplate: found") and "uncertain" in ln for ln in lines)


def test_a_plate_whose_tilt_was_not_measured_says_so_and_why_with_no_figure() -> None:
    # the mask's layer contradicted by the CT's edge (imaging.endplate_fit.TiltNotMeasured): no plane
    plate = {"found": True, "voxels": 900, "tilt_not_measured": LAYER_PAST_EDGE_WORDS}
    line = endplate_text(plate)
    assert line == f"found, tilt not measured: {LAYER_PAST_EDGE_WORDS} (drawn as a layer)"
    # a found plate with no plane and no reason (too small a layer) reads as before
    assert endplate_text({"found": True, "voxels": 5}) == "found (drawn as a layer)"
