"""Where the bundled files are: data/ beside the ecom_models package (the demo store, model files).

One place, so that moving a module between packages never changes which folder it reads."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_DIR / "data"
MODELS_DIR = DATA_DIR / "models"
DEMO_DIR = DATA_DIR / "demo"
