"""``osteoplan info PATH [--json]``: the series found under a path and their geometry (no pixels read).

JSON: ``{"series": [SeriesInfo.to_json(), ...], "report": [sentences]}``; positions LPS mm, shapes
``[slices, rows, cols]``, spacing ``[slice, row, col]`` mm; a value a refused series' headers do not give
(its slice spacing, its origin) is null, with a warning saying so. ``interpolated_slices`` lists the
0-based indices along the slice axis (``shape[0]``, counted from the volume's first slice in position
order) of the slices the loader will make up by interpolation (a gap of missing slices). The text names
them by the numbers the views show (:mod:`imaging.slice_numbers`), as the import report does.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from app.cli import CommandError, Context, text_lines

NAME = "info"
HELP = "list the series under a DICOM folder / file / DICOMDIR or NIfTI/NRRD/MHA file, with geometry"
#: shown under the arguments of ``osteoplan info --help``
EPILOG = (
    "JSON key interpolated_slices: 0-based indices along the volume's slice axis (shape[0]), counted from "
    "the volume's first slice in position order (for a head-first axial stack its lowest). The text and the "
    "import notes name the same slices by the numbers the views show, counted from 1 the way the view "
    "counts (axial from the top, coronal from the front, sagittal from the patient's right)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``osteoplan info``."""
    parser.add_argument("path", type=Path, help="DICOM folder, file or DICOMDIR, or a NIfTI/NRRD/MHA file")


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Scan the path; returns the JSON result with a human-readable ``_text``."""
    from imaging.load import scan

    path = Path(args.path)
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    result = scan(path, progress=ctx.progress("scanning"), cancel=ctx.cancel)
    series = [s.to_json() for s in result.series]
    report = result.report.lines()
    lines: list[str] = []
    for s in result.series:
        state = "loadable" if s.loadable else f"NOT LOADABLE: {s.refusal}"
        sp = " x ".join("unknown" if math.isnan(v) else f"{v:.3g}" for v in s.spacing_mm)
        org = ", ".join("unknown" if math.isnan(v) else f"{v:.1f}" for v in s.origin_lps)
        without_uid = getattr(s, "without_uid", "")
        # a series without a UID: its id ("" or "#2" ...) is what --series takes; its folder tells it apart
        lines.append(
            f'Series "{s.series_uid}" ({without_uid})'
            if without_uid
            else f"Series {s.series_uid or s.source}"
        )
        lines.append(
            f"  {s.description or '(no description)'} | {s.modality} | {s.n_files} file(s) | {state}"
        )
        lines.append(f"  shape {list(s.shape)} [slices, rows, cols], spacing {sp} mm, origin ({org}) LPS mm")
        if s.interpolated_slices:
            lines.append(f"  interpolated, not measured: {_slices_text(s)}")
        lines.extend(f"  warning: {w}" for w in s.warnings)
    if report:
        lines.append("Report:")
        lines.extend(f"  {r}" for r in report)
    return {"series": series, "report": report, "_text": text_lines(lines)}


def _slices_text(s: Any) -> str:
    """The series' interpolated slices by the numbers the views show, or by position when its slices are
    oblique to the views (each then given as its 0-based index from the volume's first slice)."""
    from imaging.slice_numbers import slice_numbering

    numbering = slice_numbering(s.direction, s.shape)
    if numbering is not None:
        return f"{numbering.text(s.interpolated_slices)} in the views"
    return (
        f"slice index(es) {_runs_text(s.interpolated_slices)} of {s.shape[0]}, 0-based from the volume's "
        "first slice (its slices are oblique to the views, which mark them with amber ticks)"
    )


def _runs_text(indices: tuple[int, ...]) -> str:
    """Sorted indices as runs: ``(4, 5, 6, 9)`` -> ``"4-6, 9"``."""
    runs: list[list[int]] = []
    for k in indices:
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)
