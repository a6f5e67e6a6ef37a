"""Customer service: what customers ask, which questions the FAQ already answers, and what answering
them is worth. See docs/support.md.

    from ecom_models.support import analyse_tickets, deflection, support_frame
    tickets, report = support_frame("tickets.csv")
    analysis = analyse_tickets(tickets, examples=None, faq=faq_df)
    analysis.intents            # intent, size, share, top_terms, examples, handling time, satisfaction, trend
    deflection(analysis)        # evidence for the Business value row

Modules: `tickets` (canonical frame, chat grouping), `features` (encoder + character n-grams),
`intents` (discovery, few-shot classifier, baseline comparison), `faq` (matching with abstention),
`analysis` (one call, trends, edits, deflection). Seeded realistic messages for the demo and tests are
`ecom_models.demo.support_synth`.
Heavy libraries (onnxruntime, scikit-learn) load inside functions.
"""

from ecom_models.support.analysis import (  # noqa: F401
    SupportAnalysis,
    ab_test_plan,
    analyse_tickets,
    apply_edits,
    clean_examples,
    deflection,
    saved_intents,
)
from ecom_models.support.faq import clean_faq  # noqa: F401
from ecom_models.support.tickets import SUPPORT_COLUMNS, clean_support, support_frame  # noqa: F401
