"""Customer service: what customers ask, which questions the FAQ already answers, and what answering
them is worth. See docs/support.md.

    from ecom_models.support import analyse_tickets, deflection, support_frame
    tickets, report = support_frame("tickets.csv")
    analysis = analyse_tickets(tickets, examples=None, faq=faq_df)
    analysis.intents            # intent, size, share, top_terms, examples, handling time, satisfaction, trend
    deflection(analysis)        # evidence for the Business value row

Modules: `tickets` (canonical frame, chat grouping), `features` (encoder + character n-grams),
`intents` (discovery, few-shot classifier, baseline comparison), `faq` (matching with abstention),
`analysis` (one call, trends, edits, operating point, deflection), `checks` (answers the merchant
marked right or wrong correct the confidence curve), `store` (what the page keeps in the
workspace: FAQ, labelled tickets, edits, saved intents, settings). The demo's tickets are in
`ecom_models.demo` (`support`, `support_synth`).
Heavy libraries (onnxruntime, scikit-learn) load inside functions.
"""

from ecom_models.support.analysis import (  # noqa: F401
    DEFAULT_COST_PER_HOUR,
    DEFAULT_TARGET_PRECISION,
    SupportAnalysis,
    ab_test_plan,
    analyse_tickets,
    answered_at,
    apply_edits,
    clean_examples,
    deflection,
    faq_usage,
    operating_point,
    saved_intents,
    tickets_per_month,
)
from ecom_models.support.checks import answers_to_check, precision_range, with_checks  # noqa: F401
from ecom_models.support.faq import TRANSFER_ERROR, clean_faq  # noqa: F401
from ecom_models.support.intents import UNSURE  # noqa: F401
from ecom_models.support.store import (  # noqa: F401
    add_check,
    add_edit,
    forget_checks,
    load_checks,
    forget_intents,
    has_upload,
    load_edits,
    load_examples,
    load_faq,
    load_saved_intents,
    load_settings,
    remove_upload,
    save_intents,
    save_settings,
    save_upload,
    undo_edit,
)
from ecom_models.support.tickets import SUPPORT_COLUMNS, clean_support, support_frame  # noqa: F401
