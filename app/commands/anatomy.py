"""``osteoplan anatomy PATH --vertebra X,Y,Z [--series UID] [--level L3] [--out LABELS.nii.gz]``.

The vertebra around an LPS point in its body: prints ``vertebral_body`` (volume mL, centroid LPS
mm, height mm), ``spinal_canal`` (where its centre line crosses the body's mid-height, LPS mm, and its
area mm^2 there), ``posterior_wall`` (points LPS mm, intact, defects), ``pedicles`` (``left`` and
``right`` always present: entry and target LPS mm, narrowest width mm, isthmus; null for a pedicle not
traced), ``pedicles_not_traced`` (``{"left": "<why>"}`` for each side not traced, ``{}`` when both
were), ``level`` and ``notes`` (see :meth:`imaging.vertebra_model.VertebraAnatomy.to_json`), and
``level_suggestion``: the level anatomy suggests (``{"level": "T12" | "S1" | "L1", "reason", "warnings"}``,
T12 for the lowest rib-bearing vertebra, S1 for the sacrum, L1 for a vertebra named thoracic without ribs
under one with them; a warning when it differs from ``--level``) or null
(:func:`imaging.level_check.check_level`).

Beyond DESIGN.md's keys, the same figures and warnings the Vertebrae dock shows
(:func:`planning.vertebra_figures.vertebra_figures`): ``endplates`` (``superior`` / ``inferior``: ``found``;
when found its ``center_lps``, ``normal_lps`` and tilts in degrees, ``tilt_from_axial_deg`` against the
patient's axial plane with its ``sagittal_tilt_deg`` (+ rising anteriorly) and ``coronal_tilt_deg`` (+ rising
to the left) parts, and ``tilt_from_body_axis_deg``; ``tilt_uncertainty_deg`` (how far those tilts can be
trusted, degrees, about 95 %; null when the plane follows the mask's slice steps), ``tilt_from`` (``ct_edge``,
``ct_edge_mean`` or ``mask_layer``) and ``tilt_uncertain`` (:mod:`planning.endplate_words`), or, found with no
tilt, ``tilt_not_measured`` (why: the CT's edge contradicts the mask's layer, :mod:`imaging.endplate_fit`);
``cut_by_scan`` when the scan's edge cuts the body there), ``body_cut_by_scan`` (``["top"]``, ``["bottom"]``
or ``[]``: the body's height and volume are then partial), ``metal`` (null, or ``threshold_hu``,
``volume_ml``, ``max_hu``, ``center_lps``, ``side``, ``near`` and ``message``) and ``warnings`` (plain
sentences, also printed; with ``--level``, also when the level named and the vertebra's ribs disagree: a
thoracic level without ribs, a lumbar one with a rib on each side,
:func:`imaging.level_check.rib_level_warning`). Beside ``posterior_wall.intact``: ``uncertain`` (true when
what the search knows makes that reading uncertain: a noisy image, metal next to the body or canal, a wall too
little seen, a cortex the scan does not resolve, a body cut by the scan's edge) and ``uncertain_reason``
(those reasons in plain words, null when not uncertain; :func:`planning.vertebra_figures.wall_uncertainty`).

A pedicle not traced is null rather than missing, so ``d["pedicles"]["left"]`` works on every result
and a reader tests it for null; its reason sits beside it in ``pedicles_not_traced`` (not inside
``pedicles``, whose entries keep the one shape DESIGN.md gives them), the same words the Vertebrae dock
shows (:func:`planning.vertebra_figures.vertebra_figures`).

``--out`` writes uint8 label volumes on the CT's grid (:mod:`app.commands.anatomy_labels`): the file
named holds 1 vertebral body, 2 spinal canal, 4 left pedicle, 5 right pedicle; the bands inside the body
(3 posterior wall, 6 superior endplate, 7 inferior endplate) go to a second file beside it
(``LABELS_bands.nii.gz``), since one voxel holds one label. With ``--out`` the JSON also has ``out``,
``labels`` (that file's legend, ``{"1": "vertebral_body", ...}``), ``out_bands`` and ``band_labels``.
The JSON's figures are measured on the search's 1 mm grid, the labels resampled to the CT's grid (the
body's ``volume_ml`` is counted on its label, the figure the Vertebrae dock shows), and
the canal label holds the canal where bone encloses it (about the pedicles' height), so its centroid
lies on the canal's centre line but not necessarily at the body's mid-height.

A point outside the volume or not in a vertebral body exits with code 2 and a one-line reason (on the
sacrum, which the finder refuses, the reason carries the S1 suggestion:
:func:`imaging.level_anatomy.refusal_hint`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli import (
    CommandError,
    Context,
    accept_negative_number_lists,
    check_image_output_path,
    parse_point_lps,
    text_lines,
)

if TYPE_CHECKING:
    from imaging.vertebra_model import VertebraAnatomy

NAME = "anatomy"
HELP = "find the vertebral body, canal, posterior wall and pedicles around an LPS point in a vertebra"

EPILOG = (
    "--out LABELS.nii.gz writes two label files on the CT's grid: LABELS.nii.gz with 1 vertebral body, "
    "2 spinal canal, 4 left pedicle, 5 right pedicle, and LABELS_bands.nii.gz with the bands inside the "
    "body: 3 posterior wall, 6 superior endplate, 7 inferior endplate (one label per voxel; with --json "
    "the legends are in 'labels' and 'band_labels'). The canal label holds the slices where bone encloses "
    "the canal; spinal_canal.centroid_lps is where the canal's centre line crosses the body's mid-height, "
    "so the two centroids differ. A pedicle not traced is null in 'pedicles', with its reason in "
    "'pedicles_not_traced'. 'warnings' says what the search could not see (a body cut by the scan's edge, "
    "'body_cut_by_scan'; metal near the vertebra, 'metal'); 'endplates' gives each endplate's centre (LPS "
    "mm) and its tilt from the axial plane (degrees)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``osteoplan anatomy``."""
    parser.add_argument("path", type=Path, help="DICOM folder, file or DICOMDIR, or a NIfTI/NRRD/MHA file")
    accept_negative_number_lists(parser)
    parser.add_argument("--vertebra", required=True, help="point X,Y,Z in LPS mm inside the vertebral body")
    parser.add_argument("--series", default=None, help="series UID to load when there are several")
    parser.add_argument("--level", default=None, help="the vertebra's level when known, e.g. L3")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write the anatomy labels (.nii.gz, .nii, .nrrd, .mha), and the wall and endplate bands to "
        "a second file beside it named with _bands (see below)",
    )


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Load, find the vertebra, optionally write the labels; returns the JSON result."""
    from app.commands.anatomy_labels import (
        BANDS_FILE,
        OUT_FILE,
        bands_path,
        label_array,
        legend,
        structure_masks,
    )
    from imaging.level_check import check_level
    from imaging.levels import normalize_level
    from imaging.load import load_volume, save_volume
    from imaging.vertebra import find_vertebra
    from planning.vertebra_figures import vertebra_figures

    path = Path(args.path)
    point = parse_point_lps(args.vertebra, "--vertebra")
    level: str | None = None
    if args.level is not None:
        try:
            level = normalize_level(args.level)
        except ValueError:
            # said here, not with normalize_level's words: those name the argument for API callers and
            # read as the option named twice (QA s25 E11)
            typed = args.level.strip()
            got = f"got {typed!r}" if typed else "got nothing"
            raise CommandError(
                f"--level must be a vertebral level C1-C7, T1-T12, L1-L5 or S1 (e.g. L3), {got}"
            ) from None
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    out: Path | None = args.out
    if out is not None:
        check_image_output_path(out, path)
        check_image_output_path(bands_path(out), path)
    loaded = load_volume(path, args.series, progress=ctx.progress("loading"), cancel=ctx.cancel)
    volume = loaded.volume
    anatomy = find_vertebra(
        volume, point, level_hint=level, progress=ctx.progress("anatomy"), cancel=ctx.cancel
    )
    if out is not None:
        masks = structure_masks(anatomy)
        for path_out, names in ((out, OUT_FILE), (bands_path(out), BANDS_FILE)):
            try:
                save_volume(volume.with_array(label_array(volume.shape, masks, names)), path_out)
            except (OSError, RuntimeError, ValueError) as exc:
                raise CommandError(f"cannot write {path_out}: {' '.join(str(exc).split())[:200]}") from exc
    js = anatomy.to_json()
    # the body's volume as the window shows it and the label file holds it: its mask on the CT's grid
    # (the search's own figure is counted on its 1 mm region; the two differ by up to a few per cent)
    body_ml = anatomy.body.count() * volume.voxel_volume_ml
    js["vertebral_body"]["volume_ml"] = round(body_ml, 3)
    figures = vertebra_figures(anatomy)
    for key in ("endplates", "body_cut_by_scan", "metal"):
        js[key] = figures[key]
    # the level named against the ribs found (imaging.level_check): a warning like the figures' own
    level_check = check_level(volume, anatomy)
    warnings = [*figures["warnings"], *level_check.warnings]
    js["warnings"] = warnings
    # beside DESIGN.md's "intact": whether that reading is uncertain, and why (plain words)
    uncertain = figures["posterior_wall_uncertain"]
    js["posterior_wall"]["uncertain"] = bool(uncertain)
    js["posterior_wall"]["uncertain_reason"] = "; ".join(uncertain) if uncertain else None
    untraced = _untraced_pedicles(anatomy)
    js["pedicles"] = {side: js["pedicles"].get(side) for side in ("left", "right")}
    js["pedicles_not_traced"] = untraced
    suggestion = level_check.suggestion
    js["level_suggestion"] = None if suggestion is None else suggestion.to_json()
    text = [
        f"Vertebra at ({point[0]:.1f}, {point[1]:.1f}, {point[2]:.1f}) mm LPS"
        + (f", level {anatomy.level}" if anatomy.level else ""),
        *(f"  warning: {w}" for w in warnings),
        f"  body {body_ml:.1f} mL, height {anatomy.body_height_mm:.1f} mm, centroid "
        "({:.1f}, {:.1f}, {:.1f}) mm".format(*anatomy.body_centroid_lps),
        f"  canal {anatomy.canal_area_mm2:.0f} mm^2 at ({{:.1f}}, {{:.1f}}, {{:.1f}}) mm".format(
            *anatomy.canal_centroid_lps
        ),
        "  posterior wall: "
        + _wall_word(anatomy)
        + (f" (uncertain: {js['posterior_wall']['uncertain_reason']})" if uncertain else ""),
    ]
    for d in anatomy.posterior_wall_defects:
        c = d.center_lps
        text.append(
            f"    {d.description} at ({c[0]:.1f}, {c[1]:.1f}, {c[2]:.1f}) mm, {d.size_mm:.1f} mm across"
        )
    from planning.vertebra_figures import width_words

    for side, ped in anatomy.pedicles.items():
        text.append(
            f"  {side.value} pedicle: {width_words(ped.min_width_mm, ped.min_width_uncertainty_mm)}, entry "
            "({:.1f}, {:.1f}, {:.1f}) -> target ({:.1f}, {:.1f}, {:.1f}) mm".format(
                *ped.axis_entry_lps, *ped.axis_target_lps
            )
        )
    text += [f"  {side} pedicle: not traced - {why}" for side, why in untraced.items()]
    text += _endplate_lines(figures)
    # (the bare "left pedicle not traced" notes say no more than the lines above)
    bare = {f"{side} pedicle not traced" for side in untraced}
    text += [f"  note: {n}" for n in anatomy.notes if n not in bare]
    if suggestion is not None:
        text.append(f"  suggested level {suggestion.level} ({suggestion.reason})")
        text += [f"    warning: {w}" for w in suggestion.warnings]
    if out is not None:
        for what, path_out, names in (("labels", out, OUT_FILE), ("bands", bands_path(out), BANDS_FILE)):
            values = ", ".join(f"{v} {k}" for v, k in legend(names).items())
            text.append(f"  {what} written to {path_out} ({values})")
    text += [f"  {w}" for w in loaded.report.lines()]
    result: dict[str, Any] = {**js, "_text": text_lines(text)}
    if out is not None:
        result["out"] = str(out)
        result["labels"] = legend(OUT_FILE)
        result["out_bands"] = str(bands_path(out))
        result["band_labels"] = legend(BANDS_FILE)
    return result


def _endplate_lines(figures: dict[str, Any]) -> list[str]:
    """The endplates' lines of the dock (:func:`planning.vertebra_figures.figure_lines`), indented."""
    from planning.vertebra_figures import figure_lines

    return [f"  {line}" for line in figure_lines(figures) if " endplate: " in line]


def _wall_word(anatomy: VertebraAnatomy) -> str:
    """The wall in the text answer: intact, its gaps, or not assessed (too little of it seen)."""
    if anatomy.posterior_wall_defects:
        return f"{len(anatomy.posterior_wall_defects)} gap(s)"
    from planning.vertebra_figures import intact_words

    return (
        intact_words(anatomy.posterior_wall_smallest_gap_mm)
        if anatomy.posterior_wall_intact
        else "not assessed"
    )


def _untraced_pedicles(anatomy: VertebraAnatomy) -> dict[str, str]:
    """``{"left": "<why>"}`` for each pedicle not traced, in the words the Vertebrae dock uses."""
    from planning.vertebra_figures import vertebra_figures

    figures = vertebra_figures(anatomy)["pedicles"]
    return {side: str(p["reason"]) for side, p in figures.items() if not p.get("traced")}
