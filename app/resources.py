"""Where the program's shipped data lives: ``resources/`` in a source checkout or a PyInstaller bundle.

No Qt here, so the command line can use it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: environment variable that overrides the resources folder (tests, unusual installs)
RESOURCES_ENV = "OSTEOPLAN_RESOURCES"
#: fallback sample data (real chest CT) used while the bundled sample case is absent
_SHARED_SAMPLE = ("shared", "data", "chest-ct-dicom")


def resources_dir() -> Path:
    """The ``resources`` folder.

    Returns
    -------
    pathlib.Path
        ``$OSTEOPLAN_RESOURCES`` when set; inside a PyInstaller bundle ``sys._MEIPASS/resources``;
        otherwise ``resources/`` beside the ``app`` package of the source checkout.
    """
    env = os.environ.get(RESOURCES_ENV)
    if env:
        return Path(env)
    bundle = getattr(sys, "_MEIPASS", None)
    if isinstance(bundle, str):
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def sample_case_path() -> Path:
    """The bundled sample case (a DICOM folder).

    Returns
    -------
    pathlib.Path
        ``resources/sample_case`` when it holds files; in a source checkout without it, the real
        chest CT in ``../shared/data/chest-ct-dicom``.

    Raises
    ------
    FileNotFoundError
        When neither exists.
    """
    bundled = resources_dir() / "sample_case"
    if bundled.is_dir() and any(bundled.glob("*.dcm")):
        return bundled
    shared = Path(__file__).resolve().parent.parent.parent.joinpath(*_SHARED_SAMPLE)
    if shared.is_dir():
        return shared
    raise FileNotFoundError(f"the sample case is missing: {bundled}")
