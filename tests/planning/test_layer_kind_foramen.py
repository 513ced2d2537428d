"""LayerKind.FORAMEN: its own default colour, a round trip through a case file, and case files saved
before the kind existed (neural foramina as a CUSTOM layer) still load unchanged."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from imaging.mask import Mask
from planning.case import Case, Section
from planning.case_io import load_case, read_case_file, save_case
from planning.model import DEFAULT_LAYER_COLORS, LayerKind, MaskLayer

GRID = (20, 24, 28)


def _mask() -> Mask:
    arr = np.zeros(GRID, dtype=bool)
    arr[5:9, 6:10, 3:7] = True
    arr[5:9, 6:10, 20:24] = True
    return Mask.from_full(arr)


def test_foramen_kind_has_its_own_colour() -> None:
    colours = {kind: DEFAULT_LAYER_COLORS[kind] for kind in LayerKind}  # every kind has a colour
    others = [c for kind, c in colours.items() if kind is not LayerKind.FORAMEN]
    assert colours[LayerKind.FORAMEN] not in others
    layer = MaskLayer.new("L3 neural foramina", "foramen", _mask())
    assert layer.kind is LayerKind.FORAMEN
    assert layer.color_rgb == colours[LayerKind.FORAMEN]


def test_foramen_layer_round_trips(tmp_path: Path) -> None:
    case = Case()
    case.add(Section.LAYERS, MaskLayer.new("L3 neural foramina", LayerKind.FORAMEN, _mask(), "1.2.3"))
    path = save_case(case, tmp_path / "f.osteoplan")
    with zipfile.ZipFile(path) as zf:
        doc = json.loads(zf.read("case.json"))
    assert "foramen" in json.dumps(doc)
    loaded = load_case(path)
    assert loaded == case
    assert loaded.layers["L3 neural foramina"].kind is LayerKind.FORAMEN


def test_old_case_with_custom_foramina_layer_loads(tmp_path: Path) -> None:
    # what plan_runner wrote before LayerKind.FORAMEN: a CUSTOM layer with the custom colour
    old = MaskLayer("L3 neural foramina", LayerKind.CUSTOM, _mask(), (160, 120, 220), "1.2.3")
    case = Case()
    case.add(Section.LAYERS, old)
    path = save_case(case, tmp_path / "old.osteoplan")
    with zipfile.ZipFile(path) as zf:
        text = zf.read("case.json").decode()
    assert '"custom"' in text and '"foramen"' not in text
    read = read_case_file(path)
    layer = read.case.layers["L3 neural foramina"]
    assert layer.kind is LayerKind.CUSTOM  # kept as saved, not silently re-typed
    assert layer.color_rgb == (160, 120, 220)
    assert np.array_equal(layer.mask.to_full(), _mask().to_full())
    assert not any("unknown" in w for w in read.warnings)
