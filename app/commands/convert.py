"""``osteoplan convert PATH --out FILE [--series UID]``: the volume as the program understands it.

Writes NIfTI (``.nii``, ``.nii.gz``), NRRD or MHA with the loaded geometry (LPS inside, converted by
SimpleITK at the file edge) and HU values. JSON: ``out``, ``shape``, ``spacing_mm``, ``origin_lps``,
``dtype``, ``warnings``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli import CommandError, Context, check_image_output_path, text_lines

NAME = "convert"
HELP = "write the loaded CT volume (HU, geometry) to .nii.gz / .nii / .nrrd / .mha"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``osteoplan convert``."""
    parser.add_argument("path", type=Path, help="DICOM folder, file or DICOMDIR, or a NIfTI/NRRD/MHA file")
    parser.add_argument("--out", type=Path, required=True, help="output file (.nii.gz, .nii, .nrrd, .mha)")
    parser.add_argument("--series", default=None, help="series UID to load when there are several")


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Load, then write; returns the JSON result with a human-readable ``_text``."""
    from imaging.load import load_volume, save_volume

    path = Path(args.path)
    out = Path(args.out)
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    check_image_output_path(out, path)
    result = load_volume(path, args.series, progress=ctx.progress("loading"), cancel=ctx.cancel)
    volume = result.volume
    try:
        save_volume(volume, out)
    except (OSError, RuntimeError, ValueError) as exc:
        raise CommandError(f"cannot write {out}: {' '.join(str(exc).split())[:200]}") from exc
    warnings = result.report.lines()
    text = [f"Wrote {out}: {volume!r}"] + [f"  {w}" for w in warnings]
    return {
        "out": str(out),
        "shape": list(volume.shape),
        "spacing_mm": list(volume.spacing_mm),
        "origin_lps": list(volume.origin_lps),
        "dtype": str(volume.array.dtype),
        "warnings": warnings,
        "_text": text_lines(text),
    }
