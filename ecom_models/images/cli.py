"""`python -m ecom_models images DIR_OR_ZIP --json`: classify product photos, find duplicates and
photo-quality problems.

JSON document (see docs/images.md):
- images: one row per readable photo: file, product_id, category (coarse, from the bundled
  ImageNet model), category_confidence, top_labels [{label, probability}], listed_category,
  predicted_category and category_mismatch (when a products file gives categories; for photos
  of products without a category, predicted_category is a suggestion with suggested_confidence),
  quality {width, height, longest_side, aspect_ratio, sharpness, brightness, contrast,
  white_background, file_mb}, quality_flags [problem names], passes_quality,
  duplicate_group (-1 when none), neighbours [{file, product_id, similarity}], note.
- duplicate_groups: list of groups of copies of one photo, each a list of file names (no file in two groups).
- duplicate_pairs: the verified pairs inside those groups with their evidence; same_product and
  looks_alike: weaker relations between different photos (see docs/images.md).
- refused: [{file, problem}] files that could not be read; converted: [{file, note}].
- categories: held-out accuracy of the category model vs baselines (or null).
- rules, threshold, counts, seconds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ecom_models.core.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ecom_models.images.quality import QualityRules

    parser.add_argument("source", help="a folder of photos, a zip of photos, or one photo (JPEG, PNG, WebP)")
    parser.add_argument("--products", help="optional products file (CSV/XLSX) with product_id and category columns; "
                                           "a products.csv inside the photo folder is used when this is not given")
    parser.add_argument("--threshold", type=float, default=0.90,
                        help="model similarity (0-1) at which two *different* photos count as 'same product, "
                             "different photo' (default 0.90). Copies of one photo (duplicate_groups) are decided "
                             "by a pixel check and do not depend on it")
    parser.add_argument("--neighbours", type=int, default=3, help="similar photos listed per photo (default 3)")
    parser.add_argument("--no-categories", action="store_true", help="skip learning the products file's categories")
    parser.add_argument("--embeddings", metavar="FILE.npy",
                        help="also save the image embeddings (one 1,280-number row per image, in the order of "
                             "'images') as a NumPy .npy file")
    from ecom_models.core.cluster import add_argument

    add_argument(parser)  # --dask-scheduler: photos decoded, checked and embedded on a Dask cluster
    defaults = QualityRules()
    for name, value in defaults.as_dict().items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value, dest=f"rule_{name}",
                            help=f"photo rule (default {value})")


def _products(path: str | None):
    if not path:
        return None
    try:
        from ecom_models.intake import read_table
    except ImportError:  # pragma: no cover - intake is part of the foundation
        import pandas as pd

        return pd.read_csv(path, dtype=str)
    from ecom_models.images.analysis import normalise_products

    return normalise_products(read_table(path), file=Path(path).name)


def run(args: argparse.Namespace) -> dict:
    from ecom_models.images.analysis import analyse
    from ecom_models.images.quality import QualityRules
    from ecom_models.images.similar import nearest_all

    if not 0 < args.threshold <= 1:
        raise InputError("the duplicate threshold must be between 0 and 1.", fix="use e.g. --threshold 0.90.")
    rules = QualityRules(**{name: getattr(args, f"rule_{name}") for name in QualityRules().as_dict()})
    products_path = args.products
    if not products_path and Path(args.source).is_dir():  # a products file next to the photos is used too
        for name in ("products.csv", "products.xlsx"):
            if (Path(args.source) / name).is_file():
                products_path = str(Path(args.source) / name)
                break
    products = _products(products_path)
    from ecom_models.core import cluster as distributed
    from ecom_models.images.cluster import image_chunk_runner

    options = dict(products=products, rules=rules, threshold=args.threshold,
                   learn_categories=not args.no_categories and products is not None, keep_thumbnails=False)
    address = distributed.scheduler_address(getattr(args, "dask_scheduler", None))
    if address:
        with distributed.connect(address) as client:
            analysis = analyse(args.source, map_chunks=image_chunk_runner(client), **options)
    else:
        analysis = analyse(args.source, **options)
    note = analysis.category_note or None
    if products_path and products_path != args.products:
        note = (note + " " if note else "") + f"Products and categories read from {Path(products_path).name}."
    t = analysis.table
    files = t["file"].tolist()
    rows = []
    quality_cols = ["width", "height", "longest_side", "aspect_ratio", "sharpness", "brightness", "contrast",
                    "white_background", "file_mb"]
    near = nearest_all(analysis.embeddings, k=max(0, args.neighbours))
    product_ids = t["product_id"].tolist()
    for i, rec in enumerate(t.to_dict("records")):
        neighbours = [{"file": files[j], "product_id": product_ids[j], "similarity": round(s, 4)} for j, s in near[i]]
        rows.append({
            "file": rec["file"], "product_id": rec["product_id"], "category": rec["category"],
            "category_confidence": rec["category_confidence"], "top_labels": rec["top_labels"],
            "listed_category": rec["listed_category"], "predicted_category": rec["predicted_category"],
            "category_mismatch": bool(rec["category_mismatch"]),
            "suggested_confidence": rec["suggested_confidence"],
            "quality": {c: rec[c] for c in quality_cols}, "quality_flags": rec["problems"],
            "passes_quality": not rec["problems"], "duplicate_group": int(rec["duplicate_group"]),
            "neighbours": neighbours, "note": rec["note"] or None,
        })
    if args.embeddings:
        import numpy as np

        target = Path(args.embeddings)
        if target.suffix.lower() != ".npy":
            raise InputError("the embeddings file must end in .npy.", file=str(target), fix="e.g. --embeddings emb.npy")
        np.save(target, analysis.embeddings.astype(np.float32), allow_pickle=False)
    ev = analysis.categories
    categories = None
    if ev is not None:
        categories = {"accuracy": ev.accuracy, "accuracy_low": ev.accuracy_low, "accuracy_high": ev.accuracy_high,
                      "majority_accuracy": ev.majority_accuracy, "taxonomy_accuracy": ev.taxonomy_accuracy,
                      "winner": ev.winner, "n_images": ev.n_images, "n_products": ev.n_products, "folds": ev.folds}
    return {
        "images": rows,
        "duplicate_groups": analysis.duplicate_groups,
        "duplicate_pairs": analysis.duplicate_pairs,
        "same_product": analysis.same_product,
        "looks_alike": analysis.looks_alike,
        "refused": [{"file": p.file, "problem": p.problem} for p in analysis.problems if p.refused],
        "converted": [{"file": p.file, "note": p.problem} for p in analysis.problems if not p.refused],
        "categories": categories,
        "category_note": note,
        "rules": rules.as_dict(),
        "threshold": args.threshold,
        "counts": {"images": len(rows), "refused": sum(p.refused for p in analysis.problems),
                   "failing_quality": int(sum(1 for r in rows if r["quality_flags"])),
                   "in_duplicate_groups": int(sum(len(g) for g in analysis.duplicate_groups))},
        "embeddings_file": str(args.embeddings) if args.embeddings else None,
        "seconds": {k: round(v, 2) for k, v in analysis.seconds.items()},
    }
