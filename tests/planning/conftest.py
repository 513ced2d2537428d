"""Fixtures shared by the plan-runner tests: the vertebra phantom with its lesion, and the patched anatomy.

``phantom`` and ``volume`` are module-scoped (built once per test module that asks for them); a module
that defines its own ``phantom`` or ``volume`` fixture keeps its own (pytest's nearer-definition rule).
``use_anatomy`` makes :func:`planning.plan_runner.run_plan` take the given anatomy instead of running the
anatomy engine, for the test that asks for it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning import plan_runner
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom
from tests.planning.test_proposals import padded

LESION_LOCAL = (-6.0, -3.0, 0.0, 7.0)  # x, y, z, radius (mm, body frame)


@pytest.fixture(scope="module")
def phantom() -> VertebraPhantom:
    return make_vertebra_phantom(spacing_mm=(1.0, 1.0, 1.0), lesion=LESION_LOCAL)


@pytest.fixture(scope="module")
def volume(phantom: VertebraPhantom) -> Volume:
    return padded(phantom)


@pytest.fixture
def use_anatomy(monkeypatch: pytest.MonkeyPatch) -> Callable[[VertebraAnatomy], None]:
    """A function that patches the plan runner's vertebra finder to return its argument."""

    def use(anatomy: VertebraAnatomy) -> None:
        monkeypatch.setattr(plan_runner, "_find_vertebra", lambda *args: anatomy)

    return use
