"""`python -m ecom_models abtest FILE [--control NAME] [--metric COL ...] --json`

Prints one document: the detected columns, the data-quality checks (top-level `srm_p_value`,
`srm_status`, `units_per_variant`, `multi_variant_units`, `repeated_units`, `repeated_rows`,
`exposure_col`, `exposure_mismatch_rows`, `excluded_rows`), the verdict, and `results`: one
row per metric and non-control variant with `metric`, `kind`, `variant`, `control`,
`units_control`, `units_variant`, `value_control`, `value_variant`, `abs_lift`, `abs_ci_low`,
`abs_ci_high`, `rel_lift`, `rel_ci_low`, `rel_ci_high`, `p_value`, `p_holm`, `p_bh`,
`significant`, `chance_to_win`, `risk_variant`, `risk_control`, `power`,
`units_needed_per_arm`, `variance_reduction`, `capped_units`, `test`, `explanation`.
See docs/abtest.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ecom_models.core.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="experiment file: one row per user, or one row per variant with units and conversions")
    parser.add_argument("--control", help="name of the control variant (default: one named like control/A/baseline, else the first)")
    parser.add_argument("--metric", action="append", nargs="+", default=None,
                        help="metric column(s) to analyse (default: all found); NUM/DEN for a ratio, e.g. revenue/orders")
    parser.add_argument("--variant-column", help="the column that names the variant (default: detected)")
    parser.add_argument("--confidence", type=float, default=0.95, help="confidence level (default 0.95)")
    parser.add_argument("--one-sided", action="store_true", help="test only 'variant better than control'")
    parser.add_argument("--sequential", action="store_true", help="always-valid intervals, safe to look every day")
    parser.add_argument("--no-cuped", action="store_true", help="do not use the pre-period covariate")
    parser.add_argument("--cap", type=float, default=None, help="cap numeric metrics at this percentile, e.g. 99.9")
    parser.add_argument("--prior-sd", type=float, default=None, help="proper normal prior N(0, sd²) on the relative lift (default: flat)")
    parser.add_argument("--correction", choices=["none", "holm", "bh"], default="none", help="multiple-testing correction deciding 'significant'")
    parser.add_argument("--exclude-problems", action="store_true", help="drop mismatched, duplicated and multi-variant units first")
    parser.add_argument("--split", help="planned traffic split in sorted variant order, e.g. 50,50 or 20,40,40 (default: equal)")
    parser.add_argument("--mde", type=float, default=0.05, help="smallest relative lift worth detecting, for power (default 0.05)")


def run(args: argparse.Namespace) -> dict:
    from ecom_models.abtest.analysis import Settings, analyze
    from ecom_models.abtest.detect import detect_experiment, prepare_frame
    from ecom_models.intake import read_table

    path = Path(args.file)
    if not path.exists():
        raise InputError("the file does not exist.", file=str(path), fix="check the path.")
    if not 0.5 <= args.confidence < 1:
        raise InputError(f"a confidence level of {args.confidence} is not usable.", fix="use a value such as 0.9, 0.95 or 0.99.")
    cap = None
    if args.cap is not None:
        cap = args.cap / 100 if args.cap > 1 else args.cap
        if not 0.5 < cap < 1:
            raise InputError(f"cannot cap at the {args.cap} percentile.", fix="use e.g. --cap 99.9.")
    df = read_table(str(path))
    df = prepare_frame(df)
    spec = detect_experiment(df, variant_col=args.variant_column)
    metrics = [m for group in (args.metric or []) for m in group] or None
    settings = Settings(
        confidence=args.confidence, two_sided=not args.one_sided, sequential=args.sequential, cuped=not args.no_cuped,
        cap_percentile=cap, prior_sd=args.prior_sd, correction=args.correction, mde=args.mde,
    )
    weights = None
    if getattr(args, "split", None):
        try:
            parts = [float(x) for x in str(args.split).replace(";", ",").split(",") if x.strip()]
        except ValueError:
            parts = []
        if len(parts) != len(spec.variants) or any(p <= 0 for p in parts):
            raise InputError(f"--split needs {len(spec.variants)} positive numbers, one per variant in this order: {', '.join(spec.variants)}.",
                             fix="e.g. --split " + ",".join(["50"] * len(spec.variants)))
        weights = dict(zip(spec.variants, parts))
    result = analyze(df, spec, control=args.control, metrics=metrics, settings=settings, exclude=args.exclude_problems, weights=weights)
    return result_document(result, file=path.name)


def result_document(result, file: str = "") -> dict:
    from ecom_models.abtest.verdict import verdict

    q = result.quality
    v = verdict(result)
    s = result.settings
    return {
        "file": file,
        "variant_col": result.spec.variant_col,
        "unit_col": result.spec.unit_col,
        "aggregated": result.spec.aggregated,
        "covariate_col": result.spec.covariate_col,
        "segment_cols": result.spec.segment_cols,
        "date_col": result.spec.date_col,
        "control": result.control,
        "variants": result.spec.variants,
        "settings": {"confidence": s.confidence, "two_sided": s.two_sided, "mode": "sequential" if s.sequential else "fixed",
                     "cuped": s.cuped, "cap_percentile": s.cap_percentile, "prior": "flat" if not s.prior_sd else f"normal(0, {s.prior_sd}^2)",
                     "correction": s.correction, "mde": s.mde},
        "srm_p_value": q.srm_p_value,
        "expected_share": q.expected_share,
        "srm_status": q.srm_status,
        "units_per_variant": q.units_per_variant,
        "multi_variant_units": (result.quality_raw or q).multi_variant_units,
        "repeated_units": (result.quality_raw or q).repeated_units,
        "repeated_rows": (result.quality_raw or q).repeated_rows,
        "exposure_col": q.exposure_col or (result.quality_raw.exposure_col if result.quality_raw else None),
        "exposure_mismatch_rows": (result.quality_raw or q).exposure_mismatch_rows,
        "excluded_rows": q.excluded_rows,
        "days": result.days,
        "verdict": {"call": v.call, "reason": v.reason, "variant": v.variant, "metric": v.metric, "days_needed": v.days_needed},
        "results": result.table.to_dict("records"),
        "notes": result.notes,
    }
