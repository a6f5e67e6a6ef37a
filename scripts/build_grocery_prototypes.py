"""Build data/models/efficientnet_lite0/grocery_prototypes.npy: the bundled model's embeddings of real
grocery photos (GroceryStoreDataset, MIT licence, see data/models/efficientnet_lite0/NOTICE), used to
recognise groceries & food (ImageNet alone reads yoghurt tubs as sunscreen and milk cartons as
packets of plasters).

Run once from the repository root with the runtime venv (needs no torch):

    .venv/bin/python scripts/build_grocery_prototypes.py [--photos ../shared/data/product_photos/grocery]

Each photo is embedded twice: as it is and shrunk to fit 60 x 80 (a catalog thumbnail). Stored as
float16 (rows L2-normalised). Only embeddings ship, never the photos.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from PIL import Image

    from ecom_models import images as V
    from ecom_models.images import taxonomy as T

    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", default=str(ROOT.parent / "shared" / "data" / "product_photos" / "grocery"))
    args = parser.parse_args()
    paths = sorted(Path(args.photos).glob("*/*.jpg"))
    if not paths:
        raise SystemExit(f"no photos under {args.photos}")
    images = []
    for p in paths:
        work = V.load_image(V.ImageFile(p.name, path=p)).work
        small = Image.open(p).convert("RGB")
        small.thumbnail((60, 80), Image.Resampling.LANCZOS)
        images += [work, small]
    _, emb = V.embed(images)
    T.GROCERY_PROTOTYPES.parent.mkdir(parents=True, exist_ok=True)
    np.save(T.GROCERY_PROTOTYPES, emb.astype(np.float16), allow_pickle=False)
    print(f"{len(paths)} photos -> {emb.shape[0]} prototypes, {T.GROCERY_PROTOTYPES.stat().st_size / 1e6:.1f} MB "
          f"({T.GROCERY_PROTOTYPES})")


if __name__ == "__main__":
    main()
