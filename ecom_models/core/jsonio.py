"""JSON for the CLI and the workspace: numpy, pandas and dates in; NaN becomes null."""

from __future__ import annotations

import json
import math
from datetime import date, datetime


def _default(obj):
    if isinstance(obj, (datetime, date)) or hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "item") and getattr(obj, "ndim", 0) == 0:  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if hasattr(obj, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _clean(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and getattr(obj, "ndim", None) == 0:
        return _clean(obj.item())
    if hasattr(obj, "tolist") and hasattr(obj, "ndim"):
        return _clean(obj.tolist())
    if obj is not None and type(obj).__name__ in {"NaTType", "NAType"}:
        return None
    return obj


def dumps(document) -> str:
    return json.dumps(_clean(document), default=_default, ensure_ascii=False, allow_nan=False)
