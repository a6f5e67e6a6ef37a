"""Benchmark and accuracy figures for product images. Run: python bench/vision.py [--n 96]

Prints:
- throughput: photos per second read + embedded (1000 px and 2400 px JPEGs), model-only rate
- peak memory, model file size
- near-duplicates: precision / recall of resized and re-encoded copies, on real photos (quadrants of
  the few real photographs that ship inside installed packages) and on the demo photos
- coarse category accuracy of the built-in (ImageNet) mapping and held-out accuracy of the Keras
  category head vs baselines, on the demo photos (drawn, not real: see docs/vision.md)
- photo-quality checks: planted problems found, clean photos wrongly flagged (demo photos)
"""

from __future__ import annotations

import argparse
import glob
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecom_models import vision as V  # noqa: E402


def real_photos() -> list[Path]:
    import matplotlib
    import sklearn

    paths = [Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"]
    paths += sorted(Path(sklearn.__file__).parent.glob("datasets/images/*.jpg"))
    # f3.jpg only: verify.jpeg next to it is an edited copy of the same photo
    paths += [Path(p) for p in sorted(glob.glob("/root/.rustup/toolchains/stable-*/share/doc/rust/html/embedded-book/assets/f3.jpg"))]
    return [p for p in paths if p.exists()]


def pair_scores(files, groups_found, truth_pairs):
    found = set()
    for g in groups_found:
        for i, a in enumerate(g):
            for b in g[i + 1:]:
                found.add(tuple(sorted((a, b))))
    tp = len(found & truth_pairs)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth_pairs) if truth_pairs else 1.0
    return precision, recall, len(found), len(truth_pairs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=96, help="photos for the throughput test")
    args = parser.parse_args()
    from PIL import Image

    print(f"model file: {V.MODEL_FILE.stat().st_size / 1e6:.1f} MB ({V.MODEL_FILE.name}); cores: {os.cpu_count()}; "
          f"load average: {os.getloadavg()[0]:.1f}")

    # -- throughput ---------------------------------------------------------------------------------
    from ecom_models.demo_images import default_folder, demo_images

    folder = default_folder()
    truth = demo_images(folder)
    demo_files = [folder / f for f in truth["file"]]
    for side in (1000, 2400):
        files = []
        for i in range(args.n):
            src = Image.open(demo_files[i % len(demo_files)]).convert("RGB")
            if side != src.size[0]:
                src = src.resize((side, side), Image.Resampling.BILINEAR)
            buf = io.BytesIO()
            src.save(buf, "JPEG", quality=90)
            files.append(V.ImageFile(f"p{i}.jpg", buf.getvalue()))
        V.embed([Image.new("RGB", (224, 224), "white")])  # load the model once
        t0, c0 = time.perf_counter(), time.process_time()
        loaded, _ = V.load_images(files)
        t1, c1 = time.perf_counter(), time.process_time()
        V.embed([im.work for im in loaded])
        t2, c2 = time.perf_counter(), time.process_time()
        print(f"{side} px JPEGs: {len(files) / (t2 - t0):.1f} photos/s read + embedded "
              f"(read {len(files) / (t1 - t0):.0f}/s, model {len(files) / (t2 - t1):.1f}/s; {len(files)} photos, "
              f"{(t2 - t0):.1f} s wall). CPU time per photo: read {1000 * (c1 - c0) / len(files):.0f} ms, model "
              f"{1000 * (c2 - c1) / len(files):.0f} ms -> about {2 * len(files) / (c2 - c0):.0f} photos/s on 2 idle cores")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory so far: {peak:.0f} MB")

    # -- coarse category on the few real photos available offline -------------------------------------
    photos = real_photos()
    expected = {"grace_hopper": "apparel", "f3": "electronics", "china": "other", "flower": "other"}
    right = []
    for p in photos:
        im = V.load_image(V.ImageFile(p.name, path=p))
        probs, _ = V.embed([im.work])
        got = V.coarse_categories(probs)[0][0]
        right.append(got == expected.get(p.stem))
        print(f"real photo {p.name}: {got} (expected {expected.get(p.stem)}; top label "
              f"{V.top_labels(probs, 1)[0][0]['label']})")
    print(f"coarse category right on {sum(right)} of {len(right)} real photos (far too few to measure accuracy)")

    # -- duplicates on real photos ------------------------------------------------------------------
    for label, low, high in (("copies at 60-90% size", 0.6, 0.9), ("copies at 40-60% size", 0.4, 0.6)):
        rng = np.random.default_rng(0)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            truth_pairs, n_orig = set(), 0
            for p in photos:
                im = Image.open(p).convert("RGB")
                w, h = im.size
                for qx in range(2):
                    for qy in range(2):
                        crop = im.crop((qx * w // 2, qy * h // 2, (qx + 1) * w // 2, (qy + 1) * h // 2))
                        name = f"{p.stem}_{qx}{qy}.png"
                        crop.save(tmp / name)
                        k = float(rng.uniform(low, high))
                        copy = crop.resize((max(1, int(crop.size[0] * k)), max(1, int(crop.size[1] * k))))
                        fmt = ["JPEG", "WEBP", "JPEG"][n_orig % 3]
                        copy_name = f"{p.stem}_{qx}{qy}-copy.{'jpg' if fmt == 'JPEG' else 'webp'}"
                        copy.save(tmp / copy_name, fmt, quality=int(rng.integers(55, 80)))
                        truth_pairs.add(tuple(sorted((name, copy_name))))
                        n_orig += 1
            analysis = V.analyse(tmp, learn_categories=False)
            files = analysis.table["file"].tolist()
            hashes = [int(h, 16) for h in analysis.table["phash"]]
            print(f"real photos, {label}: {len(photos)} photographs -> {n_orig} distinct quadrant images "
                  f"({crop.size[0]}x{crop.size[1]} px or so) + {n_orig} resized, re-encoded copies (JPEG/WebP q55-80)")
            for thr in (0.95, 0.97, 0.98):
                groups = V.duplicate_groups(analysis.embeddings, files, thr, hashes=hashes,
                                            colours=analysis.table["colour_signature"].tolist())
                p_, r_, nf, nt = pair_scores(files, groups, truth_pairs)
                only = V.duplicate_groups(analysis.embeddings, files, thr)
                p2, r2, _, _ = pair_scores(files, only, truth_pairs)
                print(f"  threshold {thr}: precision {p_:.3f}, recall {r_:.3f} ({nf} pairs found, {nt} true); "
                      f"embedding alone: precision {p2:.3f}, recall {r2:.3f}")

    # -- demo photos: duplicates, categories, quality -------------------------------------------------
    from ecom_models.demo import demo_store

    t0 = time.perf_counter()
    analysis = V.analyse(folder, products=demo_store().products)
    elapsed = time.perf_counter() - t0
    table = analysis.table.merge(truth, on="file", suffixes=("", "_truth"))
    print(f"demo photos: {len(table)} analysed in {elapsed:.1f} s ({analysis.seconds})")
    dup_truth = {tuple(sorted((r.file, r.duplicate_of))) for r in truth.dropna(subset=["duplicate_of"]).itertuples()}
    p, r, nf, nt = pair_scores(table["file"].tolist(), analysis.duplicate_groups, dup_truth)
    print(f"  duplicates at 0.97: precision {p:.3f}, recall {r:.3f} ({nf} found, {nt} planted)")
    shows = table["shows_category"].map(V.taxonomy_of)
    print(f"  built-in coarse category right: {np.mean(table['category'] == shows):.1%} of drawn demo photos")
    ev = analysis.categories
    print(f"  category head (Keras, {ev.folds}-fold grouped by product): held-out accuracy {ev.accuracy:.1%} "
          f"[{ev.accuracy_low:.1%}, {ev.accuracy_high:.1%}] vs most-common {ev.majority_accuracy:.1%} and built-in "
          f"mapping {ev.taxonomy_accuracy:.1%} -> winner: {ev.winner}")
    flagged = set(table.loc[table["category_mismatch"], "file"])
    wrong = set(table.loc[table["category"].notna() & (table["shows_category"] != table["category_truth"]), "file"])
    print(f"  photos flagged as disagreeing with their category: {len(flagged)}; of the {len(wrong)} planted wrong "
          f"photos, {len(flagged & wrong)} flagged")
    planted = table[table["problem"].isin(["too_small", "blurry", "dark", "cluttered"])]
    expected = {"too_small": "too small", "blurry": "blurry", "dark": "too dark", "cluttered": "background not white"}
    found = sum(expected[r.problem] in r.problems for r in planted.itertuples())
    clean = table[table["problem"].isna() & (table["view"] != "duplicate")]
    false_flags = int((clean["problems"].str.len() > 0).sum())
    print(f"  quality: {found} of {len(planted)} planted problems found; {false_flags} of {len(clean)} clean photos "
          "flagged")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
