"""Business value: evidence into money (priors, valuation) and every lever added up (summary).

Modules, bottom to top (each imports only the ones below it; checked by the `value-inside` contract):
`levers` (the rows) and `priors` (the one table of priors and the plausibility bounds); `valuation`
(each lever's evidence priced) and `format` (figures as printed); `summary` (the adding-up: rows,
totals with 90% ranges, ROI, sensitivity); `compute` (each lever computed from the capabilities) and
`settings` (what the pages keep: estimates, assumptions, the Business value page's edits); `report`,
`calibration` and `pipeline` (the Business value page's inputs, keys and kept levers); `cli`.

The public API of the package; importing it loads no model library."""

from ecom_models.core.evidence import KIND_LABELS, Assumption, ValueEstimate  # noqa: F401
from ecom_models.value.levers import (  # noqa: F401
    LeverSpec,
    LEVERS,
    MODELS,
    TITLES,
    WHAT_IT_MEASURES,
    NEEDS,
    REVENUE_MODELS,
    AB_KEYWORDS,
    SAVED_NAMESPACES,
    WHOLE_WORDS,
)
from ecom_models.value.priors import (  # noqa: F401
    Prior,
    PRIORS,
    BOUNDS,
    DEFAULT_BOUND,
    ASSUMED_TOTAL_BOUND,
    prior,
    prior_value,
    as_assumption,
    priors_table,
)
from ecom_models.value.format import KIND_COLOURS, fmt_assumption, fmt_figure, fmt_interval, fmt_money  # noqa: F401
from ecom_models.value.summary import (  # noqa: F401
    Z90,
    DEFAULT_RANGE,
    KIND_ORDER,
    Lever,
    CostInputs,
    EstimateRow,
    Interval,
    ValueSummary,
    estimate_to_dict,
    estimate_from_dict,
    call_with_overrides,
    apply_overrides,
    match_ab_lever,
    resolve_rows,
    split_normal_draws,
    point_totals,
    simulate,
    roi_figures,
    tornado,
    assumptions_table,
    rows_currency,
    summarise,
)
from ecom_models.value.compute import (  # noqa: F401
    store_figures,
    monthly_visitors,
    lever_recommendations,
    lever_forecasting,
    lever_risk,
    priced,
    lever_to_store,
    lever_from_store,
    lever_abtest,
    lever_images,
    lever_reviews,
    lever_from_saved,
    saved_levers,
    fill_from_saved,
    ab_lever_guess,
)
from ecom_models.value.valuation import (  # noqa: F401
    P_NO_FRAUD,
    MIN_DECISIONS,
    base_rate_posterior,
    risk_value,
    RECOMMEND_KEYS,
    RECOMMEND_ASSUMPTIONS,
    P_NO_TRANSFER,
    transfer_draws,
    sample_size,
    recommendations_value,
    FORECAST_KEYS,
    forecasting_assumptions,
    stock_policy_cost,
    forecasting_value,
    REVIEW_KEYS,
    REVIEW_ASSUMPTIONS,
    reviews_value,
    images_value,
    abtest_value,
    value_details,
    support_value,
)
from ecom_models.value.settings import (  # noqa: F401
    NAMESPACE,
    PAGE_ASSUMPTIONS,
    save_page_estimate,
    load_page_estimate,
    load_page_assumptions,
    save_page_assumptions,
    all_page_assumptions,
    load_settings,
    save_costs,
    save_ab_choice,
    save_overrides,
    changed_overrides,
    effective_overrides,
    ab_replaced_lever,
)
from ecom_models.value.report import (  # noqa: F401
    fmt_share,
    rows_table,
    row_colours,
    figures_table,
    assumptions_view,
    report_csv,
    report_html,
    report_pdf,
    waterfall_figure,
    tornado_figure,
    rows_figure,
)
