"""Product recommendations: interactions, models, an honest leaderboard, and their evidence.

Modules, in the order they build on each other:
- `interactions` who bought what (from orders or a user-item table), the held-out split;
- `models`       best sellers, item similarity, RP3beta, EASE (one fit/score/recommend interface);
- `deep`         the Keras models (basket autoencoder, NCF), Keras loaded only when fitted;
- `evaluation`   precision, recall, nDCG, hit rate at k with intervals; the paired gain over best sellers;
- `leaderboard`  the model chosen on a validation split and every model scored once on the test split;
- `documents`    a report as plain data for the results store, and back;
- `serve`        top-k per customer with reasons, frequently bought together, cold start;
- `pipeline`     reports kept in the results store (for the value layer and the UI only), `cli` the
  `recommend` command.

The public API of the package; importing it loads no model library."""

from ecom_models.recommend.interactions import (  # noqa: F401
    MAX_ITEMS,
    Interactions,
    normalise_ids,
    interactions_from_orders,
    looks_like_interactions,
    interactions_from_table,
    load_interactions,
    interactions_from_frame,
    split_matrix,
    entry_times,
    synthetic_interactions,
)
from ecom_models.recommend.models import (  # noqa: F401
    EASE_MAX_ITEMS,
    EASE_DENSE_ITEMS,
    NCF_MAX_PAIRS,
    SCORE_BATCH_CELLS,
    MODEL_LABELS,
    MODEL_SHORT,
    MODEL_EXPLAIN,
    MAX_HISTORY_FOR_SIMILARITY,
    Recommender,
    Popularity,
    ItemKNN,
    RP3Beta,
    EASE,
)
from ecom_models.recommend.deep import NCF, DeepAutoencoder  # noqa: F401
from ecom_models.recommend.evaluation import METRIC_HELP, Evaluation, evaluate, paired_gain  # noqa: F401
from ecom_models.recommend.leaderboard import (  # noqa: F401
    make_model,
    candidate_grid,
    default_model_name,
    RecommenderReport,
    build_recommender,
    staged_plan,
)
from ecom_models.recommend.documents import (  # noqa: F401
    StoredRanking,
    interactions_document,
    interactions_from_document,
    report_document,
    report_from_document,
)
from ecom_models.recommend.serve import recommend_for_users, frequently_bought_together, cold_start  # noqa: F401
