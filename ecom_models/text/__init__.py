"""Text in any of the shop languages: language detection and sentence embeddings, shared by reviews and support.

Modules: encoders (language detection, the multilingual-e5 encoder E5Model, get_model / encode) and
minilm (the English MiniLM Encoder, get_encoder, encode_unique).

The public API of the package; importing it loads no model library."""

from ecom_models.text.encoders import (  # noqa: F401
    E5_DIR,
    E5_LANGUAGES,
    LANGUAGE_NAMES,
    E5Model,
    best_model,
    detect_language,
    detect_languages,
    encode,
    get_model,
    language_means,
    readable,
)
from ecom_models.text.minilm import EMBED_DIM, MAX_TOKENS, Encoder, encode_unique, get_encoder  # noqa: F401
