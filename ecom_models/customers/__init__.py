"""Customers: what each one is worth, who is slipping away, whom to win back.

Modules, in the order they build on each other:
- `summary`   order lines -> purchase days -> one row per customer (guests left out, counted);
- `models`    BG/NBD and Gamma-Gamma by maximum likelihood (scipy; parity with PyMC-Marketing tested);
- `lapse`     P(active) learned on the store's own recent past;
- `predict`   per-customer predictions with 80% intervals and the store's seasonality;
- `segments`  merchant segments with one-line rules, value at stake, the win-back list;
- `retention` first-purchase cohorts and the repeat-purchase curve;
- `backtest`  the model against two baselines on a held-out period;
- `analysis`  all of it for one orders frame (`analyse_customers`);
- `pipeline`  results kept in the results store (value layer and UI only), `cli` the `customers` command.

The public API of the package; importing it loads no model library."""

from ecom_models.customers.analysis import HORIZONS, CustomersResult, analyse_customers  # noqa: F401
from ecom_models.customers.backtest import (  # noqa: F401
    MEASURE_WORDS,
    MEASURES,
    Backtest,
    roc_auc,
    run_backtest,
    top_decile_capture,
)
from ecom_models.customers.lapse import LapseModel  # noqa: F401
from ecom_models.customers.models import (  # noqa: F401
    MIN_CUSTOMERS,
    BetaGeo,
    GammaGamma,
    spend_inputs,
)
from ecom_models.customers.predict import (  # noqa: F401
    fit_models,
    predict_frame,
    predictor,
)
from ecom_models.customers.retention import cohort_table, repeat_curve  # noqa: F401
from ecom_models.customers.season import (  # noqa: F401
    horizon_on_clock,
    on_clock,
    seasonal_factor,
    seasonality,
)
from ecom_models.customers.segments import (  # noqa: F401
    SEGMENT_RULES,
    WINBACK_COLUMNS,
    assign_segments,
    winback_list,
)
from ecom_models.customers.summary import (  # noqa: F401
    customer_summary,
    holdout_activity,
    purchase_days,
)
