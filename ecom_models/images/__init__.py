"""Product images: a bundled pretrained model, categories, similar items, duplicates, photo quality.

Everything runs offline. The image model is EfficientNet-Lite0 with ImageNet weights
(Apache-2.0), exported once to ONNX by `scripts/export_efficientnet.py` and run with
onnxruntime; torch is never needed at run time.

Pipeline, one call (images.analysis): `analyse(images, products=None, rules=QualityRules(), ...) -> ImageAnalysis`

1. Safe reading (images.files: `collect_images`, `load_image`): formats limited to JPEG, PNG and WebP (the
   content decides, not the file name); files over `MAX_FILE_BYTES` refused; the pixel count is
   checked from the header before anything is decoded (decompression bombs); zip archives are
   checked for path traversal, number of files, total unpacked size and compression ratio.
   Animated images use their first frame; CMYK, 16-bit, palette and transparent images are
   converted (transparency becomes white). A bad file is reported and the batch goes on.
2. Per image (images.model: `embed`): the 1,000 ImageNet class probabilities, the top labels, a coarse product
   category (probability mass summed per `TAXONOMY` group) and a 1,280-number embedding
   (L2-normalised, so a dot product is the cosine similarity).
3. Photo quality (images.quality: `quality_metrics`, `check_quality`): resolution, aspect ratio, sharpness
   (variance of the Laplacian), brightness, contrast, white background, file size, each against
   a rule the merchant can edit.
4. Duplicates (images.duplicates: pixel evidence, complete linkage) and similar items (images.similar:
   cosine similarity of embeddings).
5. The merchant's own categories (images.categories: `CategoryHead`, `evaluate_categories`): a small Keras
   head on the embeddings, scored on held-out products (grouped cross-validation: every
   image is predicted by a model that never saw its product) against the majority class and
   the ImageNet-taxonomy mapping; photos that disagree with their listed category are flagged.
6. `revenue_at_stake`: revenue of the listings with photo problems (priced in ecom_models.value.valuation).

Modules, in import order: taxonomy, files -> model, quality, similar, duplicates (+ copies for
benches and tests) -> categories -> analysis -> store (what the page keeps in the workspace) -> cli
(the `images` command).

This file is the package's public API; importing it loads no model library.
"""

from ecom_models.images.analysis import (  # noqa: F401
    DUPLICATE_ISSUE,
    MISMATCH_ISSUE,
    ImageAnalysis,
    analyse,
    analyse_chunk,
    export_table,
    issue_options,
    listing_problems,
    normalise_products,
    photo_issues,
    products_from_orders,
    reassess,
    resolve_products,
    revenue_at_stake,
    select_photos,
)
from ecom_models.images.categories import (  # noqa: F401
    CategoryEvaluation,
    CategoryHead,
    evaluate_categories,
    suggest_categories,
)
from ecom_models.images.duplicates import DEFAULT_THRESHOLDS, Thresholds, find_duplicates  # noqa: F401
from ecom_models.images.files import (  # noqa: F401
    ALLOWED_FORMATS,
    IMAGE_SUFFIXES,
    MAX_FILE_BYTES,
    MAX_PIXELS,
    MAX_ZIP_FILES,
    MAX_ZIP_RATIO,
    MAX_ZIP_TOTAL_BYTES,
    WORK_SIZE,
    ImageFile,
    LoadedImage,
    Problem,
    collect_images,
    load_image,
    load_images,
    product_id_from_file,
    read_zip,
    safe_file_name,
    save_uploads,
    stored_uploads,
    upload_batch_id,
    could_hold_photos,
)
from ecom_models.images.model import (  # noqa: F401
    CLASSES_FILE,
    INPUT_SIZE,
    MODEL_DIR,
    MODEL_FILE,
    class_names,
    coarse_categories,
    embed,
    model_input,
    taxonomy_matrix,
    top_labels,
)
from ecom_models.images.quality import (  # noqa: F401
    PROBLEM_HELP,
    QUALITY_COLUMNS,
    RULE_TEXT,
    THUMB_SIZE,
    QualityRules,
    check_quality,
    quality_metrics,
    thumbnail_bytes,
)
from ecom_models.images.similar import nearest, nearest_all  # noqa: F401
from ecom_models.images.store import (  # noqa: F401
    batch_key,
    photo_dir,
    read_products,
    save_batch,
    SavedBatch,
    save_products,
    save_rules,
    save_threshold,
    saved_products,
    saved_rules,
    saved_threshold,
    stored_photos,
)
from ecom_models.images.taxonomy import TAXONOMY, TAXONOMY_CLASSES, TOO_SMALL, taxonomy_of  # noqa: F401
