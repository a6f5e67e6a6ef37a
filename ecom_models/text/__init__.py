"""Text in any of the shop languages: language detection and sentence embeddings, shared by reviews and support.

The public API of the package; importing it loads no model library."""

from ecom_models.text.encoders import (  # noqa: F401
    E5_LANGUAGES,
    LANGUAGE_NAMES,
    best_model,
    detect_language,
    detect_languages,
    encode,
    get_model,
    readable,
)
