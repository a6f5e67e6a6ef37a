"""`python -m ecom_models.demo`: regenerate the demo store's prebuilt files in data/demo/."""

from ecom_models.demo.store import DEMO_DIR, write_prebuilt

write_prebuilt()
print(f"wrote {DEMO_DIR}")
