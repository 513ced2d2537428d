"""Which vertebra a target's planning uses (app.planning_ui.target_vertebra), on a small synthetic grid.

Grid 1 mm, identity direction, origin at 0: voxel (k, j, i) is LPS (i, j, k) mm. Two vertebra groups
of box-shaped bodies, as the Vertebra tool adds them (``extra`` ``vertebra``, ``part``, the body's
``click_lps``). Positions LPS mm.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.planning_ui.target_vertebra import same_vertebra, vertebra_source, with_case_layers
from app.segmentation.vertebra_tool import CLICK_KEY
from imaging.mask import Mask
from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy
from imaging.volume import Volume
from planning.case import Case, Section
from planning.model import LayerKind, MaskLayer, Target

SHAPE = (40, 20, 20)


def _box(z0: int, z1: int) -> Mask:
    full = np.zeros(SHAPE, dtype=bool)
    full[z0:z1, 5:15, 5:15] = True
    return Mask.from_full(full)


def _layer(name: str, kind: LayerKind, mask: Mask, vid: str, part: str, click: object = None) -> MaskLayer:
    extra: dict[str, object] = {"vertebra": vid, "part": part, "level": ""}
    if click is not None:
        extra[CLICK_KEY] = json.dumps(list(click))  # type: ignore[call-overload]
    return MaskLayer(name, kind, mask, extra=extra)  # type: ignore[arg-type]


@pytest.fixture
def volume() -> Volume:
    return Volume(np.zeros(SHAPE, dtype=np.int16), np.eye(4))


@pytest.fixture
def case() -> Case:
    c = Case()
    c.add(Section.LAYERS, _layer("V1 body", LayerKind.BODY, _box(2, 18), "v1", "body", (10.1, 10.2, 10.3)))
    c.add(Section.LAYERS, _layer("V1 canal", LayerKind.CANAL, _box(2, 18), "v1", "canal"))
    c.add(Section.LAYERS, _layer("V2 body", LayerKind.BODY, _box(22, 38), "v2", "body"))
    return c


def test_a_tied_target_uses_its_vertebras_own_click(case: Case, volume: Volume) -> None:
    # its vertebra point (the body's centroid, say) lies in the other body: the tie decides
    target = Target("Lesion 1", vertebra_lps=(10.0, 10.0, 30.0), extra={"vertebra": "v1"})
    src = vertebra_source(case, volume, target)
    assert src is not None
    assert src.click_lps == (10.1, 10.2, 10.3)
    assert src.from_layers
    assert src.name == "V1 body"
    assert set(src.layers) == {"body", "canal"}


def test_without_a_kept_click_the_targets_point_is_used_and_checked(case: Case, volume: Volume) -> None:
    target = Target("Lesion 2", vertebra_lps=(10.0, 10.0, 30.0), extra={"vertebra": "v2"})
    src = vertebra_source(case, volume, target)
    assert src is not None
    assert src.click_lps == (10.0, 10.0, 30.0)
    assert not src.from_layers
    assert src.body is case.layers["V2 body"].mask


def test_a_target_tied_to_deleted_layers_takes_the_vertebra_holding_its_lesion(
    case: Case, volume: Volume
) -> None:
    target = Target(
        "Lesion 3", lesion_seed_lps=(9.0, 9.0, 5.0), vertebra_lps=(0.0, 0.0, 0.0), extra={"vertebra": "v9"}
    )
    src = vertebra_source(case, volume, target)
    assert src is not None
    assert src.from_layers and src.click_lps == (10.1, 10.2, 10.3)
    assert vertebra_source(case, volume, Target("Lone")) is None  # no vertebra at all


def test_same_vertebra_by_overlap() -> None:
    body = _box(2, 18)
    assert same_vertebra(body, body)
    assert same_vertebra(body, None)
    assert same_vertebra(_box(2, 17), body)  # one slice of 16 edited away: Dice 0.97
    assert not same_vertebra(_box(10, 26), body)  # half of it shifted to the next level: Dice 0.5
    assert not same_vertebra(_box(22, 38), body)


def test_the_case_layers_replace_the_anatomys_masks_but_not_its_axes() -> None:
    found = _box(2, 18)
    axis = PedicleAxis(Side.LEFT, (1.0, 2.0, 3.0), (4.0, 5.0, 6.0), 7.5, (2.0, 3.0, 4.0), mask=_box(3, 5))
    anatomy = VertebraAnatomy(
        body=found,
        canal=_box(2, 4),
        posterior_wall=_box(2, 3),
        body_volume_ml=1.6,
        body_centroid_lps=(9.5, 9.5, 9.5),
        body_height_mm=16.0,
        canal_centroid_lps=(0.0, 0.0, 0.0),
        canal_area_mm2=1.0,
        posterior_wall_points_lps=(),
        posterior_wall_intact=True,
        posterior_wall_defects=(),
        pedicles={Side.LEFT: axis},
    )
    edited = _box(2, 17)
    pedicle = _box(4, 6)
    out = with_case_layers(anatomy, {"body": edited, "pedicle_left": pedicle}, 0.001)
    assert out.body is edited
    assert out.body_volume_ml == pytest.approx(edited.count() * 0.001)
    assert out.canal is anatomy.canal  # no canal layer: the anatomy's own
    left = out.pedicles[Side.LEFT]
    assert left.mask is pedicle
    assert (left.axis_entry_lps, left.min_width_mm) == (axis.axis_entry_lps, axis.min_width_mm)
    assert with_case_layers(anatomy, {}, 0.001) is anatomy
