"""Study (not run in CI): grab every 2D view's pixels to show a change left what they draw the same.

Each view (axial, sagittal, coronal) of the marker phantom of tests/app/conftest.py, at a narrow
(300 x 260 px: corner label on two lines) and a wide size (720 x 540 px: one line), zoomed 1.3, with
the crosshair on the left marker and a ruler 12, 7, 5 mm (LPS) long from it; the corner label's lines
are kept too. (Under xvfb without a window manager a view never gets focus, so its focus frame is not
in the grabs.) Run once per checkout, then compare::

    cd <checkout> && PYTHONPATH=. xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" \\
        .venv/bin/python <this file> dump /tmp/old.npz
    .venv/bin/python tests/benchmarks/slice_view_grabs.py compare /tmp/old.npz /tmp/new.npz
"""

from __future__ import annotations

import sys

import numpy as np


def dump(out_path: str) -> None:
    """Grab the views and save their RGB32 bytes and label lines to ``out_path`` (.npz)."""
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from app.display_geometry import ViewAxis
    from app.slice_view import SliceView
    from app.viewer_state import ViewerState
    from tests.app.conftest import MARKERS, marker_volume

    app = QApplication.instance() or QApplication([])
    state = ViewerState()
    state.set_volume(marker_volume(np.eye(3), spacing_mm=(2.0, 1.5, 1.25)))
    state.set_crosshair(MARKERS["left"][0])
    out: dict[str, np.ndarray] = {}
    for axis in ViewAxis:
        for size in ((300, 260), (720, 540)):
            view = SliceView(state, axis)
            view.resize(*size)
            view.show()
            app.processEvents()
            centre = np.asarray(state.crosshair_lps, dtype=np.float64)
            view.ruler_lps = (centre, centre + np.array([12.0, 7.0, 5.0]))
            view.zoom = 1.3
            image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
            key = f"{axis.value}_{size[0]}"
            out[key] = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).copy()
            out[key + "_label"] = np.frombuffer("|".join(view.label_lines()).encode(), np.uint8)
            view.close()
    np.savez(out_path, **out)  # type: ignore[arg-type]
    print(f"{len(out)} arrays, {sum(int(a.size) for a in out.values())} bytes -> {out_path}")


def compare(old_path: str, new_path: str) -> int:
    """Print how many grabs are byte-identical; 0 when all are."""
    old, new = np.load(old_path), np.load(new_path)
    keys = sorted(set(old.files) | set(new.files))
    both = set(old.files) & set(new.files)
    differ = [k for k in keys if k not in both or not np.array_equal(old[k], new[k])]
    print(f"{len(keys)} arrays, {len(keys) - len(differ)} identical")
    for k in differ:
        print(f"DIFFERS {k}")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        dump(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
