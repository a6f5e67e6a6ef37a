"""Store KPIs for the Overview page.

The public API of the package; importing it loads no model library."""

from ecom_models.overview.kpi import (  # noqa: F401
    Kpi,
    KPI_LABELS,
    compute_kpis,
    revenue_trend,
    top_by,
    filter_orders,
    SEGMENT_COLUMNS,
    default_period,
    segment_options,
    segment_kpis,
)
