"""A/B test review and planning, from sufficient statistics: the public API of the package.

The modules, in the order a review goes through them: `detect` finds the variant, unit, metric,
covariate, segment and date columns of an experiment file; `quality` checks the traffic split and
mixed-up or repeated people; `stats` holds every test and interval (its docstring states each
formula once, with the reference it matches); `analysis` compares each metric and variant with
control; `verdict` turns that into a plain-language call, a money figure and the exports. The
planning formulas (sample size, power, smallest detectable lift) live in ecom_models.core.stats,
because other capabilities need them too, and are re-exported here. `cli` is the `abtest`
command. Importing this package loads no model library (scipy only).
"""

from ecom_models.abtest.analysis import (  # noqa: F401
    COLUMN_HELP,
    RESULT_COLUMNS,
    ABResult,
    Settings,
    analyze,
    compare,
    cumulative_lift,
    segment_results,
)
from ecom_models.abtest.detect import (  # noqa: F401
    MAX_VARIANTS,
    ExperimentSpec,
    MetricSpec,
    default_control,
    detect_experiment,
    prepare_frame,
    ratio_candidates,
    ratio_name,
    ratio_request,
    shown_metric_name,
)
from ecom_models.abtest.quality import SRM_CAUTION_P, SRM_WARNING_P, DataQuality, check_quality, exclude_problems  # noqa: F401
from ecom_models.abtest.plans import WinbackPlan, winback_test_plan  # noqa: F401
from ecom_models.abtest.stats import (  # noqa: F401
    SEQUENTIAL_TUNING,
    CupedStats,
    MeanStats,
    RatioStats,
    bayes_relative,
    benjamini_hochberg,
    cuped_theta,
    holm,
    relative_lift_ci,
    relative_variance,
    sequential_halfwidth,
    sequential_p_value,
    srm_test,
    two_proportion_z,
    welch_t,
)
from ecom_models.abtest.verdict import (  # noqa: F401
    CUPED_WINS_AT,
    ValueChoice,
    Verdict,
    capped_summary,
    control_sd,
    cuped_summary,
    days_still_needed,
    days_to_run,
    html_summary,
    monthly_extra_conversions,
    recent_store_figures,
    results_csv,
    value_choice,
    verdict,
)
from ecom_models.core.stats import (  # noqa: F401 - planning is part of the A/B API
    mde_two_proportions,
    power_mean,
    power_two_proportions,
    sample_size_mean,
    sample_size_per_arm,
)
