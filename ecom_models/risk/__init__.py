"""Risk and anomalies: order-level fraud scores with reasons, daily metric alerts, the review queue's catch.

Modules, in the order they build on each other:
- `features`   canonical order lines -> one row per order, features oriented "higher = more unusual";
- `scoring`    the detectors (Isolation Forest, ECOD, rare signals) -> a `RiskResult` with reasons in words;
- `evaluation` ROC-AUC and precision in the top k against known answers;
- `labels`     the review decisions (workspace namespace `risk.labels`) and a model trained on them;
- `daily`      daily revenue / orders / order value / conversion alerts against a seasonal baseline;
- `money`      value at risk and the loss a review capacity prevents;
- `inject`     synthetic fraud planted in a copy of the orders: how much the review queue catches;
- `pipeline`   scores kept in the results store (for the value layer and the UI only), `cli` the
  `anomalies` command.

The public API of the package; importing it loads no model library."""

from ecom_models.risk.features import (  # noqa: F401
    FEATURES,
    SIGNALS,
    REQUIRED,
    check_orders,
    sale_lines,
    sale_mask,
    order_features,
    ORDER_COLUMNS,
    line_quantity,
    line_price,
    product_key,
    names_known,
    order_rows,
    add_customer_features,
    add_store_rarity,
    surprise,
    ORDINARY_UP_TO,
    feature_surprise,
)
from ecom_models.risk.scoring import (  # noqa: F401
    DETECTORS,
    SHOWN_ONLY,
    DETECTOR_NAMES,
    MIN_ORDERS,
    RELIABLE_ORDERS,
    SIGNAL_WORDS,
    IFOREST,
    signal_matrix,
    tail_scores,
    detector_scores,
    RiskResult,
    check_share,
    reflag,
    score_orders,
    score_features,
    all_detectors,
    check_order_count,
    ranked_result,
    reason_features,
    explain,
    reason_counts,
    EXPORT_COLUMNS,
    export_frame,
)
from ecom_models.risk.evaluation import (  # noqa: F401
    precision_at_k,
    roc_auc,
    auc_interval,
    evaluate,
    evaluate_for,
    evaluation_summary,
)
from ecom_models.risk.labels import (  # noqa: F401
    LABEL_NAMESPACE,
    LABELS,
    load_labels,
    save_label,
    labels_key,
    save_decisions,
    clear_labels,
    label_known_answers,
    review_queue,
    labels_in,
    MIN_LABELS,
    MIN_PER_CLASS,
    LabelComparison,
    label_readiness,
    compare_with_labels,
    supervised_scores,
)
from ecom_models.risk.daily import (  # noqa: F401
    METRICS,
    daily_metrics,
    daily_anomalies,
    compare_daily_methods,
    daily_scores,
    revenue_missing,
    better_daily_method,
)
from ecom_models.risk.money import (  # noqa: F401
    DAYS_PER_MONTH,
    MoneyView,
    DEFAULT_PRECISION,
    fraud_probability,
    money_view,
)
from ecom_models.risk.inject import (  # noqa: F401
    PATTERNS,
    WINDOW_DAYS,
    PREFIX,
    inject_fraud,
    measure_catch,
    at_capacity,
    risk_evidence,
)
