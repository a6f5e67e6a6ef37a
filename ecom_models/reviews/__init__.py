"""Reviews: review sentiment and aspects with a bundled sentence encoder, fine-tuned on the merchant's ratings.

    analysis = analyse_reviews(reviews)          # canonical reviews frame (docs/CONTRACTS.md)
    analysis.scored                              # one row per review, input order
    analysis.aspects                             # one row per (review, aspect) mention
    analysis.comparison                          # held-out accuracy: fine-tuned vs bundled vs VADER
    product_summary(analysis.scored, analysis.aspects)

Models
- Encoder: all-MiniLM-L6-v2 exported to int8 ONNX (data/models/minilm, 23 MB), run with
  onnxruntime + tokenizers (no torch). Reviews are split into sentences; each sentence is encoded
  (cut at 256 tokens) and a review's embedding is the normalised mean of its sentences'. Reviews over
  60 sentences are read up to the 60th (flagged `truncated`).
- Bundled head: logistic regression on the embedding + VADER score, trained on 2,177 labelled review sentences
  (scripts/train_sentiment_head.py). Sentence score = 2 * P(positive) - 1; a review's score is the
  mean of its sentences' scores, in [-1, 1].
- Baseline: VADER (lexicon), always computed beside the model; it also scores emoji-only reviews.
- Fine-tuned head: when reviews carry star ratings, a small Keras network on the embedding
  (plus the bundled score) learns the merchant's 3 classes (1-2 negative, 3 neutral, 4-5 positive).
  Its held-out balanced accuracy is compared with the bundled head's on the same reviews; the
  better one scores the reviews. After training, its weights run in numpy (no TensorFlow needed).

Labels: `positive`, `negative`, `neutral`. For the bundled head and VADER, neutral means the
model is undecided (|score| < 0.05 for both; a wider band cost 11 points of binary accuracy on the
demo reviews for no gain in 3-class accuracy); the sign of `score` is the binary decision. Aspect
sentences count as complaints only when clearly negative (score <= -0.2). Reviews that cannot be scored (empty, other language)
get label None and a `status` that says why.

Heavy imports (onnxruntime, tokenizers, tensorflow, vaderSentiment) happen inside functions.

Modules, in import order (each imports only those before it): texts (HTML, emoji, language,
sentences) -> aspects (+ aspects_i18n) -> heads -> finetune -> analysis (analyse_reviews,
ReviewAnalysis) -> views, search, store (results store) -> cli (the `sentiment` command).
The sentence encoders live in ecom_models.text (shared with support).

This file is the package's public API; importing it loads no model library.
"""

from ecom_models.reviews.analysis import (  # noqa: F401
    ENCODER_NAMES,
    MAX_SENTENCES,
    ReviewAnalysis,
    analyse_reviews,
    language_breakdown,
    subset_analysis,
    subset_by_languages,
)
from ecom_models.reviews.aspects import ASPECTS, aspect_label, find_aspects  # noqa: F401
from ecom_models.reviews.finetune import FineTuneResult, balanced_accuracy, fine_tune, rating_to_class  # noqa: F401
from ecom_models.reviews.heads import (  # noqa: F401
    BundledHead,
    KerasHead,
    get_bundled_head,
    get_multilingual_head,
    model_report,
    score_texts,
    vader_labels,
    vader_scores,
)
from ecom_models.reviews.search import group_hits, semantic_search  # noqa: F401
from ecom_models.reviews.store import MODEL_VERSION, load_analysis, save_analysis  # noqa: F401
from ecom_models.reviews.texts import prepare_texts, split_sentences, strip_html  # noqa: F401
from ecom_models.reviews.views import (  # noqa: F401
    answer_queue,
    aspect_examples,
    aspect_over_time,
    aspect_summary,
    disagreements,
    early_warnings,
    product_summary,
    recent_count,
    sentiment_over_time,
    to_json_rows,
)
