"""Sales forecasting and what-if scenarios: the public API of the package.

The modules, in the order a forecast goes through them (each step is a plain function on tidy
frames, so pages, the CLI and tests share it):

1. `series`: `build_series(orders, metric, by)` turns order lines into daily (or weekly) series
   with the drivers a merchant controls (price index, promotion flag, ad spend), and names the
   holiday calendars and the columns a forecast can be split by.
2. `models`: models of one shape (`fit(history)` / `predict(future)` returning `ds, yhat,
   yhat_lower, yhat_upper`): seasonal naive (the baseline), ETS, Prophet and their average.
3. `backtest`: `backtest_and_forecast(series, horizon)` scores every model on past windows it did
   not see and forecasts with the winner (`ForecastResult`); `inventory_plan` and
   `stock_evidence` turn a forecast into reorder points and the evidence stock value is priced from.
4. `whatif`: `WhatIf` learns price elasticity and promotion lift from the merchant's own changes
   and answers scenarios (price, promotion, spend, sale day, closure); saved scenarios.
5. `many`: `forecast_many` forecasts every series at once over local processes or Dask.

`pipeline` keeps forecasts in the results store for the UI and the value layer (import it from
there, not through this facade), and `cli` is the `forecast` command. Importing this package loads
no model library: Prophet and statsmodels are imported inside the functions that fit them.
"""

from ecom_models.forecast.backtest import (  # noqa: F401
    MAX_HORIZON_DAYS,
    MIN_TRAIN_DAYS,
    MIN_TRAIN_WEEKS,
    ForecastResult,
    InventoryPlan,
    backtest_and_forecast,
    check_horizon,
    future_frame,
    inventory_horizon,
    inventory_plan,
    score,
    stock_evidence,
)
from ecom_models.forecast.many import (  # noqa: F401
    ManyResult,
    forecast_many,
    load_many,
    many_key,
    many_view,
    save_many,
)
from ecom_models.forecast.models import (  # noqa: F401
    ALL_MODELS,
    INTERVAL,
    MODEL_ENSEMBLE,
    MODEL_ETS,
    MODEL_HELP,
    MODEL_NAIVE,
    MODEL_PROPHET,
    PROPHET_DEFAULT,
    PROPHET_GRID,
    Z80,
    EnsembleModel,
    ETSModelWrapper,
    ProphetModel,
    SeasonalNaive,
    average_predictions,
    holiday_frame,
    make_model,
    quiet_prophet,
)
from ecom_models.forecast.series import (  # noqa: F401
    BY_COLUMNS,
    MANY_BY_COLUMNS,
    METRICS,
    TOTAL_KEY,
    SeriesData,
    build_series,
    by_options,
    country_code,
    holiday_countries,
    main_country,
    product_names,
    supported_countries,
)
from ecom_models.forecast.whatif import (  # noqa: F401
    SCENARIO_NAMESPACE,
    Scenario,
    ScenarioResult,
    WhatIf,
    compare_scenarios,
    delete_scenario,
    parse_scenario,
    save_scenario,
    saved_scenarios,
)
