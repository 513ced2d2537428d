"""The mask's end plate layer is checked against the CT's edge before its tilt is said (session 29 E2:
chest T12's body from one click ran through the disc and its layer, a dome over the disc, read a tilt of
the wrong sign with no ±; tests/imaging/test_endplate_click_spread.py has that click)."""

from __future__ import annotations

import math

import numpy as np

from imaging.endplate_fit import LAYER_PAST_EDGE_MM, layer_past_edge_mm
from imaging.endplate_plane import MIN_ENDPLATE_POINTS, endplate_plane


def _grid(z: float, n: int = 6) -> np.ndarray:
    u, v = np.meshgrid(np.arange(n, dtype=float), np.arange(n, dtype=float))
    return np.c_[u.ravel(), v.ravel(), np.full(n * n, z)]


def test_edge_beyond_an_inferior_layer_passes_and_edge_inside_it_does_not() -> None:
    # an inferior layer at z 0 (its outward normal points down, -z)
    layer = endplate_plane(_grid(0.0), (0.0, 0.0, 1.0), superior=False, middle_only=False)
    assert layer is not None and layer.normal_lps[2] < 0
    # the CT's edge 1 mm below the layer (outwards, into the disc): as on a mask that ends at the plate
    assert layer_past_edge_mm(layer, _grid(-1.0)) == -1.0
    assert not layer_past_edge_mm(layer, _grid(-1.0)) > LAYER_PAST_EDGE_MM
    # the edge 2.7 mm above it (inside the body): the mask ran on past the plate
    assert math.isclose(layer_past_edge_mm(layer, _grid(2.7)), 2.7)
    assert layer_past_edge_mm(layer, _grid(2.7)) > LAYER_PAST_EDGE_MM


def test_too_few_edge_points_cannot_contradict_the_layer() -> None:
    layer = endplate_plane(_grid(0.0), (0.0, 0.0, 1.0), superior=True, middle_only=False)
    assert layer is not None
    few = _grid(-5.0)[: MIN_ENDPLATE_POINTS - 1]
    assert layer_past_edge_mm(layer, few) == -math.inf
