"""``osteoplan segment PATH --seed X,Y,Z [--series UID] [--out MASK.nii.gz]``: the lesion at an LPS seed.

Beyond DESIGN.md's options, ``--box X1,Y1,Z1,X2,Y2,Z2`` (two opposite corners, LPS mm) is the box the
operator draws around the lesion in the window (issue 4): the lesion stays inside it
(:func:`imaging.lesion.segment_lesion`, ``box_lps``), so a boxed lesion can be scripted and reproduced;
the JSON then holds ``box_lps`` ([[min x,y,z],[max x,y,z]]).

Prints ``{"lesion": ...}`` (see :meth:`imaging.lesion_model.Lesion.to_json`): type (lytic | blastic |
mixed), volume in mL, largest diameter in mm, HU statistics, centroid and box in LPS mm, the local
normal bone HU it was compared with, and the cortical breach; beyond DESIGN.md's keys, ``warnings``: the
notes that ask the operator to check the lesion (it may go on beyond the growth limit or the scan's edge;
the image's noise can change its call or its volume, :mod:`imaging.lesion_noise`), printed as warnings;
``reference_bone_site``: where the reference bone HU was measured (region, voxels, distance from the seed,
centre, HU quartiles; null when ``--reference-hu`` gave it) and ``type_basis``: the lytic and sclerotic
shares of voxels the type rests on (:mod:`imaging.lesion_basis`).
``--out`` writes the mask as a uint8 label volume (1 = lesion) on the CT's grid. A seed outside the
volume, or not in a lesion, exits with code 2 and a one-line reason (for a seed in bone refused as like
normal bone, with the hint to give ``--reference-hu``, never for a seed in soft tissue; on a noisy image
whose noise can decide the refusal, the reason says so).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from app.cli import (
    CommandError,
    Context,
    accept_negative_number_lists,
    check_image_output_path,
    parse_numbers,
    parse_point_lps,
    text_lines,
)

NAME = "segment"
#: the normal bone HU --reference-hu takes: the plan spec's ``targets[i].reference_bone_hu`` range
#: (:mod:`planning.plan_runner`), the same value given the other way
REFERENCE_HU_RANGE = (-1000.0, 3000.0)
HELP = "segment the bone lesion at an LPS seed point and print its type and measures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``osteoplan segment``."""
    parser.add_argument("path", type=Path, help="DICOM folder, file or DICOMDIR, or a NIfTI/NRRD/MHA file")
    accept_negative_number_lists(parser)
    parser.add_argument("--seed", required=True, help="seed point X,Y,Z in LPS mm, inside the lesion")
    parser.add_argument(
        "--box",
        default=None,
        help="X1,Y1,Z1,X2,Y2,Z2: two opposite corners (LPS mm) of a box around the lesion, which stays in it",
    )
    parser.add_argument("--series", default=None, help="series UID to load when there are several")
    parser.add_argument(
        "--out", type=Path, default=None, help="write the lesion mask (.nii.gz, .nii, .nrrd, .mha)"
    )
    parser.add_argument(
        "--reference-hu",
        type=float,
        default=None,
        help="local normal trabecular bone HU to compare with (default: measured around the lesion)",
    )


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Load, segment at the seed, optionally write the mask; returns the JSON result."""
    import numpy as np

    from imaging.lesion import segment_lesion
    from imaging.lesion_errors import NoLesionAtSeedError
    from imaging.load import load_volume, save_volume

    path = Path(args.path)
    seed = parse_point_lps(args.seed, "--seed")
    box = None if args.box is None else parse_box_lps(args.box, seed)
    if args.reference_hu is not None and not math.isfinite(args.reference_hu):
        # argparse's float() takes "nan" and "inf": a NaN reference refused every seed as "within 88 HU of
        # the local normal bone (nan HU)" (QA s22 D)
        raise CommandError(f"--reference-hu must be a finite number of HU, got {args.reference_hu}")
    lo, hi = REFERENCE_HU_RANGE
    if args.reference_hu is not None and not lo <= args.reference_hu <= hi:
        # 1e30 made the whole bone a "lytic lesion", -5000 a lytic lesion "blastic", exit 0 (QA s31 D)
        raise CommandError(
            f"--reference-hu must be a number of HU in {lo:g} to {hi:g}, got {args.reference_hu:g}"
        )
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    out: Path | None = args.out
    if out is not None:
        check_image_output_path(out, path)
    loaded = load_volume(path, args.series, progress=ctx.progress("loading"), cancel=ctx.cancel)
    volume = loaded.volume
    try:
        lesion = segment_lesion(
            volume,
            seed,
            box_lps=box,
            reference_bone_hu=args.reference_hu,
            progress=ctx.progress("segmenting"),
            cancel=ctx.cancel,
        )
    except NoLesionAtSeedError as exc:
        if exc.at_bone and args.reference_hu is None:
            raise CommandError(
                f"{exc}; if there is a lesion, give this bone's normal HU with --reference-hu to segment it"
            ) from exc
        raise
    if out is not None:
        labels = np.zeros(volume.shape, dtype=np.uint8)
        labels[lesion.mask.slices] = lesion.mask.array.astype(np.uint8)
        try:
            save_volume(volume.with_array(labels), out)
        except (OSError, RuntimeError, ValueError) as exc:
            raise CommandError(f"cannot write {out}: {' '.join(str(exc).split())[:200]}") from exc
    js = lesion.to_json()
    text = [
        f"Lesion at ({seed[0]:.1f}, {seed[1]:.1f}, {seed[2]:.1f}) mm LPS: {js['type']}",
        f"  volume {lesion.volume_ml:.2f} mL, largest diameter {lesion.max_diameter_mm:.1f} mm",
        f"  mean {lesion.mean_hu:.0f} HU against local normal bone {lesion.reference_bone_hu:.0f} HU",
        "  normal bone given with --reference-hu"
        if lesion.reference_site is None
        else f"  normal bone measured in {lesion.reference_site.text()}",
        "  centroid ({:.1f}, {:.1f}, {:.1f}) mm LPS".format(*lesion.centroid_lps),
        f"  cortical breach: {'yes' if lesion.cortical_breach else 'no'}",
    ]
    if box is not None:
        text.append(
            "  inside the box ({:.1f}, {:.1f}, {:.1f}) to ({:.1f}, {:.1f}, {:.1f}) mm LPS".format(
                *box[0], *box[1]
            )
        )
    text += [f"  warning: {w}" for w in lesion.warnings]
    text += [f"  note: {n}" for n in lesion.notes if n not in lesion.warnings]
    if out is not None:
        text.append(f"  mask written to {out}")
    text += [f"  {w}" for w in loaded.report.lines()]
    result: dict[str, Any] = {"lesion": js, "_text": text_lines(text)}
    if box is not None:
        result["box_lps"] = [list(box[0]), list(box[1])]
    if out is not None:
        result["out"] = str(out)
    return result


def parse_box_lps(
    text: str, seed: tuple[float, float, float]
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """``--box``'s two corners to ``(min_xyz, max_xyz)``; CommandError when malformed, flat, or not
    around the seed."""
    values = parse_numbers(text, "--box", "X1,Y1,Z1,X2,Y2,Z2")
    a, b = values[:3], values[3:]
    lo = (min(a[0], b[0]), min(a[1], b[1]), min(a[2], b[2]))
    hi = (max(a[0], b[0]), max(a[1], b[1]), max(a[2], b[2]))
    if any(h - low <= 0.0 for low, h in zip(lo, hi, strict=True)):
        raise CommandError(f"--box {text}: the box is flat (its corners share an x, y or z)")
    if any(not low <= v <= h for v, low, h in zip(seed, lo, hi, strict=True)):
        raise CommandError(
            "--box {}: the seed ({:.1f}, {:.1f}, {:.1f}) mm LPS lies outside the box".format(text, *seed)
        )
    return lo, hi
