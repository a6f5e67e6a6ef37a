"""The demo store: seeded, deterministic orders, reviews, photos and support tickets (and fuzzed copies for tests).

The public API of the package; importing it loads no model library."""

from ecom_models.demo.store import (  # noqa: F401
    END_DATE,
    DAYS,
    CURRENCY,
    PRICE_ELASTICITY,
    PROMO_LIFT,
    PROMO_DISCOUNT,
    PRICE_CHANGES,
    PROMO_STARTS,
    BROKEN_DAYS,
    AB_CONTROL_RATE,
    AB_REL_LIFT,
    CATALOG,
    PRICE_RANGE,
    COUNTRIES,
    RARE_COUNTRIES,
    CHANNELS,
    ASPECTS,
    DemoStore,
    DEMO_VERSION,
    DEMO_DIR,
    demo_store,
    write_prebuilt,
    build_demo_store,
)
from ecom_models.demo.drawings import SIZE, DRAWINGS  # noqa: F401
from ecom_models.demo.images import (  # noqa: F401
    VERSION,
    PLANTED,
    WRONG_PHOTO_SHOWS,
    DUPLICATED,
    default_folder,
    demo_images,
    ensure_demo_photos,
)
from ecom_models.demo.support import (  # noqa: F401
    SUPPORT_DEMO_VERSION,
    TICKETS_PER_DAY,
    INTENTS,
    DEMO_TEMPLATES,
    SLOTS,
    DEMO_FAQ,
    DemoSupport,
    build_demo_support,
    demo_support,
)
