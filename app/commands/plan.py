"""``osteoplan plan PATH --spec SPEC.json --out CASE.osteoplan``: a whole plan without the GUI.

Loads the CT, runs :func:`planning.plan_runner.run_plan` on the spec (DESIGN.md "Command line"), saves
the case atomically and prints coverage, margins, distances, warnings, cement estimate, risk and
scores. JSON keys: ``targets``, ``trajectories``, ``zones`` (DESIGN.md), plus ``ablation``,
``margin_mm``, ``warnings``, ``import_warnings`` and ``case``; each trajectory's pedicle width comes with
``pedicle_min_width_uncertainty_mm`` (+- mm, null when not known), and the text says it as the dock does.
The text follows a one-sided needle's signed mediolateral angle with medial or lateral, as the dock reads it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli import CommandError, Context, check_output_path, text_lines

NAME = "plan"
HELP = "plan needles, ablation zones and cement from a JSON spec, and save the case"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``osteoplan plan``."""
    parser.add_argument("path", type=Path, help="DICOM folder, file or DICOMDIR, or a NIfTI/NRRD/MHA file")
    parser.add_argument("--spec", type=Path, required=True, help="plan spec (JSON, see DESIGN.md)")
    parser.add_argument("--out", type=Path, required=True, help="case file to write (.osteoplan)")
    parser.add_argument("--series", default=None, help="series UID to load when there are several")


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Load, plan, save; returns the JSON result with a human-readable ``_text``."""
    from imaging.load import load_volume
    from planning.plan_runner import run_plan, save_plan_case
    from planning.vertebra_figures import width_said

    path = Path(args.path)
    spec_path = Path(args.spec)
    out = Path(args.out)
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    if out.suffix != ".osteoplan":
        raise CommandError(f"--out {out.name} must end in .osteoplan")
    check_output_path(out)
    spec = _read_spec(spec_path)
    loaded = load_volume(path, args.series, progress=ctx.progress("loading"), cancel=ctx.cancel)
    result = run_plan(loaded.volume, spec, progress=ctx.progress("planning"), cancel=ctx.cancel)
    written = save_plan_case(result, str(out), source_path=str(path))
    payload = result.to_json()
    payload["import_warnings"] = loaded.report.lines()
    payload["case"] = written
    # the widths as the dock says them, with their +- (planning.vertebra_figures.width_said)
    widths = [
        None
        if t.pedicle_min_width_mm is None
        else width_said(t.pedicle_min_width_mm, t.pedicle_min_width_uncertainty_mm)
        for t in result.trajectories
    ]
    payload["_text"] = text_lines(_text(payload, widths))
    return payload


def _read_spec(spec_path: Path) -> dict[str, Any]:
    """The spec's JSON object; CommandError naming the file when it cannot be read or is not one.

    UTF-8 with or without a byte-order mark (Windows Notepad writes one; the base refused it). Text in
    another encoding, a number too long to convert and nesting too deep to parse are refused here in
    one line (the base ended in an internal error for each, QA s31 D).
    """
    try:
        raw = spec_path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read --spec {spec_path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"--spec {spec_path} is not UTF-8 text (byte {exc.start} is not UTF-8): save it as UTF-8"
        ) from None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--spec {spec_path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, nesting too deep
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(":")[0]
        raise CommandError(f"--spec {spec_path} cannot be read as a plan spec ({reason})") from None
    if not isinstance(spec, dict):
        raise CommandError(f"--spec {spec_path} must hold a JSON object")
    return spec


def _fmt(v: Any, unit: str) -> str:
    return "n/a" if v is None else f"{v}{unit}"


def _medial_said(mediolateral_deg: float, approach: str) -> str:
    """What follows the signed angle of a needle entering on one side (+ is towards the patient's left, as
    the JSON's ``mediolateral_deg``): " (15.4 deg medial)"; nothing for one without a side or at 0.0 deg."""
    from planning.trajectory_geometry import medial_or_lateral

    side = approach.rsplit("-", 1)[-1] if "-" in approach else None
    said = medial_or_lateral(float(mediolateral_deg), side)
    # to the JSON's rounding, as the signed figure before it
    return "" if said is None else f" ({abs(float(mediolateral_deg))} deg {said})"


def _text(p: dict[str, Any], widths: list[str | None]) -> list[str]:
    lines = [f"Plan saved to {p['case']}", f"Zone: {p['ablation']['label']}"]
    for i, t in enumerate(p["trajectories"]):
        lines.append(
            f"Needle {i + 1} ({t['target']}, {t['approach']}): {t['length_mm']} mm, "
            f"craniocaudal {t['craniocaudal_deg']} deg, mediolateral {t['mediolateral_deg']} deg"
            f"{_medial_said(t['mediolateral_deg'], t['approach'])}, "
            f"pedicle {widths[i] or 'n/a'}, canal {_fmt(t['canal_distance_mm'], ' mm')}"
        )
        lines += [f"  ! {w}" for w in t["warnings"]]
    for t in p["targets"]:
        les = t["lesion"]
        lines.append(
            f"Target {t['name']}: {les['type']} lesion {les['volume_ml']} mL; covered "
            f"{_fmt(t['coverage_percent'], '%')}, uncovered {_fmt(t['uncovered_ml'], ' mL')}, "
            f"smallest margin {_fmt(t['min_margin_mm'], ' mm')}, "
            f"zone to canal {_fmt(t['zone_to_canal_mm'], ' mm')}"
        )
        if "cement" in t:
            c = t["cement"]
            lines.append(f"  cement {c.get('estimate_ml')} mL (range {c.get('range_ml')})")
        if "leakage_risk" in t:
            lines.append(f"  leakage risk {t['leakage_risk'].get('level')}")
        lines += [f"  ! {w}" for w in t["warnings"]]
        lines += [f"  suggestion: {s['text']}" for s in t.get("suggestions", [])]
    lines += [f"! {w}" for w in p["warnings"] + p["import_warnings"]]
    return lines
