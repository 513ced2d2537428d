"""Pedicle axes read back from a vertebra's kept figures (planning.pedicle_axis_figures): what the views
draw. Figures saved before the axes were kept, or malformed ones, give no axis rather than a guessed one;
the narrowest width is drawn across the axis, level (mediolateral). Positions LPS mm."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from planning.pedicle_axis_figures import across_axis, pedicle_axes

TRACED: dict[str, Any] = {
    "traced": True,
    "min_width_mm": 7.84,
    "min_width_uncertainty_mm": 0.5,
    "craniocaudal_deg": -10.1,
    "mediolateral_deg": 15.8,
    "axis_entry_lps": [-9.5, 24.7, 45.0],
    "axis_target_lps": [3.6, -22.8, 36.6],
    "isthmus_lps": [-3.8, 3.9, 40.0],
}


def test_the_traced_pedicles_axes_come_back_left_then_right() -> None:
    figures = {"pedicles": {"right": TRACED, "left": {**TRACED, "min_width_uncertainty_mm": None}}}
    axes = pedicle_axes(json.dumps(figures))
    assert [a.side for a in axes] == ["left", "right"]
    right = axes[1]
    assert right.entry_lps == (-9.5, 24.7, 45.0) and right.target_lps == (3.6, -22.8, 36.6)
    assert right.isthmus_lps == (-3.8, 3.9, 40.0)
    assert right.min_width_mm == 7.84 and right.min_width_uncertainty_mm == 0.5
    assert axes[0].min_width_uncertainty_mm is None
    assert pedicle_axes(figures) == axes  # the dict as well as its JSON text


@pytest.mark.parametrize(
    "pedicle",
    [
        {k: v for k, v in TRACED.items() if k != "isthmus_lps"},  # figures saved before session 28
        {**TRACED, "axis_entry_lps": [1.0, 2.0]},
        {**TRACED, "axis_target_lps": [1.0, "2", 3.0]},
        {**TRACED, "isthmus_lps": [1.0, float("nan"), 3.0]},
        {**TRACED, "axis_target_lps": TRACED["axis_entry_lps"]},  # no direction
        {**TRACED, "min_width_mm": None},
        {**TRACED, "traced": False},
        {"traced": False, "reason": "the search found no pedicle of bone on this side"},
    ],
)
def test_a_pedicle_without_a_whole_axis_is_left_out(pedicle: dict[str, Any]) -> None:
    assert pedicle_axes({"pedicles": {"left": pedicle, "right": TRACED}})[0].side == "right"
    assert pedicle_axes({"pedicles": {"left": pedicle}}) == []


@pytest.mark.parametrize("figures", [None, "", "not json", "[]", {"pedicles": []}, {}])
def test_no_figures_no_axes(figures: Any) -> None:
    assert pedicle_axes(figures) == []


def test_the_width_is_drawn_across_the_axis_and_level() -> None:
    entry, target = np.array(TRACED["axis_entry_lps"]), np.array(TRACED["axis_target_lps"])
    w = across_axis(entry, target)
    assert np.linalg.norm(w) == pytest.approx(1.0)
    assert float(w @ (target - entry)) == pytest.approx(0.0, abs=1e-9)
    assert w[2] == pytest.approx(0.0, abs=1e-12) and w[0] > 0
    # an axis straight along the patient's axis (no pedicle runs so): the patient's left, not NaN
    assert np.allclose(across_axis([0.0, 0.0, 0.0], [0.0, 0.0, 5.0]), [1.0, 0.0, 0.0])
