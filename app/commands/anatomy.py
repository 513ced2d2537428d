"""``osteoplan anatomy PATH --vertebra X,Y,Z [--series UID] [--level L3] [--out LABELS.nii.gz]``.

The vertebra around an LPS point in its body: prints ``vertebral_body`` (volume mL, centroid LPS
mm, height mm), ``spinal_canal`` (centroid LPS mm at the body's mid-height, area mm^2),
``posterior_wall`` (points LPS mm, intact, defects), ``pedicles`` (left / right: entry and target
LPS mm, narrowest width mm, isthmus), ``level`` and ``notes`` (see
:meth:`imaging.vertebra_model.VertebraAnatomy.to_json`), and ``level_suggestion``: the level anatomy
suggests (``{"level": "T12" | "S1", "reason", "warnings"}``, T12 for the lowest rib-bearing vertebra,
S1 for the sacrum; a warning when it differs from ``--level``) or null
(:func:`imaging.level_anatomy.suggestion_for_anatomy`). ``--out`` writes a uint8 label volume on
the CT's grid: 1 body, 2 spinal canal, 3 posterior wall, 4 left pedicle, 5 right pedicle, 6 superior
endplate, 7 inferior endplate (later labels overwrite earlier ones where they overlap); with ``--out``
the JSON also has ``labels``, that legend (``{"1": "vertebral_body", ...}``, :data:`LABEL_NAMES`). A point
outside the volume or not in a vertebral body exits with code 2 and a one-line reason (on the sacrum,
which the finder refuses, the reason carries the S1 suggestion: :func:`imaging.level_anatomy.refusal_hint`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli import CommandError, Context, accept_negative_number_lists, check_output_path, parse_point_lps

NAME = "anatomy"
HELP = "find the vertebral body, canal, posterior wall and pedicles around an LPS point in a vertebra"

#: label values written by --out
LABELS = {
    "body": 1,
    "canal": 2,
    "posterior_wall": 3,
    "left_pedicle": 4,
    "right_pedicle": 5,
    "superior_endplate": 6,
    "inferior_endplate": 7,
}

#: the legend of the --out labels in the JSON (``labels``), named as the JSON's own keys where it has them
LABEL_NAMES = {
    "body": "vertebral_body",
    "canal": "spinal_canal",
    "posterior_wall": "posterior_wall",
    "left_pedicle": "left_pedicle",
    "right_pedicle": "right_pedicle",
    "superior_endplate": "superior_endplate",
    "inferior_endplate": "inferior_endplate",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``osteoplan anatomy``."""
    parser.add_argument("path", type=Path, help="DICOM folder, file or DICOMDIR, or a NIfTI/NRRD/MHA file")
    accept_negative_number_lists(parser)
    parser.add_argument("--vertebra", required=True, help="point X,Y,Z in LPS mm inside the vertebral body")
    parser.add_argument("--series", default=None, help="series UID to load when there are several")
    parser.add_argument("--level", default=None, help="the vertebra's level when known, e.g. L3")
    parser.add_argument(
        "--out", type=Path, default=None, help="write the anatomy labels (.nii.gz, .nii, .nrrd, .mha)"
    )


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Load, find the vertebra, optionally write the labels; returns the JSON result."""
    import numpy as np

    from imaging.image_files import is_image_file
    from imaging.level_anatomy import suggestion_for_anatomy
    from imaging.levels import normalize_level
    from imaging.load import load_volume, save_volume
    from imaging.vertebra import find_vertebra
    from imaging.vertebra_model import Side

    path = Path(args.path)
    point = parse_point_lps(args.vertebra, "--vertebra")
    level: str | None = None
    if args.level is not None:
        try:
            level = normalize_level(args.level)
        except ValueError as exc:
            raise CommandError(f"--level: {exc}") from None
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    out: Path | None = args.out
    if out is not None and not is_image_file(out):
        raise CommandError(f"--out {out.name} must end in .nii.gz, .nii, .nrrd or .mha")
    if out is not None:
        check_output_path(out)
    loaded = load_volume(path, args.series, progress=ctx.progress("loading"), cancel=ctx.cancel)
    volume = loaded.volume
    anatomy = find_vertebra(
        volume, point, level_hint=level, progress=ctx.progress("anatomy"), cancel=ctx.cancel
    )
    if out is not None:
        labels = np.zeros(volume.shape, dtype=np.uint8)
        layers = [
            ("body", anatomy.body),
            ("canal", anatomy.canal),
            ("posterior_wall", anatomy.posterior_wall),
            ("left_pedicle", anatomy.pedicles[Side.LEFT].mask if Side.LEFT in anatomy.pedicles else None),
            ("right_pedicle", anatomy.pedicles[Side.RIGHT].mask if Side.RIGHT in anatomy.pedicles else None),
            ("superior_endplate", anatomy.superior_endplate),
            ("inferior_endplate", anatomy.inferior_endplate),
        ]
        for name, mask in layers:
            if mask is not None and mask.any():
                labels[mask.slices][mask.array] = LABELS[name]
        try:
            save_volume(volume.with_array(labels), out)
        except (OSError, RuntimeError, ValueError) as exc:
            raise CommandError(f"cannot write {out}: {' '.join(str(exc).split())[:200]}") from exc
    js = anatomy.to_json()
    suggestion = suggestion_for_anatomy(volume, anatomy)
    js["level_suggestion"] = None if suggestion is None else suggestion.to_json()
    text = [
        f"Vertebra at ({point[0]:.1f}, {point[1]:.1f}, {point[2]:.1f}) mm LPS"
        + (f", level {anatomy.level}" if anatomy.level else ""),
        f"  body {anatomy.body_volume_ml:.1f} mL, height {anatomy.body_height_mm:.1f} mm, centroid "
        "({:.1f}, {:.1f}, {:.1f}) mm".format(*anatomy.body_centroid_lps),
        f"  canal {anatomy.canal_area_mm2:.0f} mm^2 at ({{:.1f}}, {{:.1f}}, {{:.1f}}) mm".format(
            *anatomy.canal_centroid_lps
        ),
        "  posterior wall: "
        + ("intact" if anatomy.posterior_wall_intact else f"{len(anatomy.posterior_wall_defects)} gap(s)"),
    ]
    for d in anatomy.posterior_wall_defects:
        c = d.center_lps
        text.append(
            f"    {d.description} at ({c[0]:.1f}, {c[1]:.1f}, {c[2]:.1f}) mm, {d.size_mm:.1f} mm across"
        )
    for side, ped in anatomy.pedicles.items():
        text.append(
            f"  {side.value} pedicle: narrowest {ped.min_width_mm:.1f} mm, entry "
            "({:.1f}, {:.1f}, {:.1f}) -> target ({:.1f}, {:.1f}, {:.1f}) mm".format(
                *ped.axis_entry_lps, *ped.axis_target_lps
            )
        )
    text += [f"  note: {n}" for n in anatomy.notes]
    if suggestion is not None:
        text.append(f"  suggested level {suggestion.level} ({suggestion.reason})")
        text += [f"    warning: {w}" for w in suggestion.warnings]
    if out is not None:
        text.append(f"  labels written to {out} ({', '.join(f'{v} {k}' for k, v in LABELS.items())})")
    text += [f"  {w}" for w in loaded.report.lines()]
    result: dict[str, Any] = {**js, "_text": "\n".join(text)}
    if out is not None:
        result["out"] = str(out)
        result["labels"] = {str(value): LABEL_NAMES[name] for name, value in LABELS.items()}
    return result
