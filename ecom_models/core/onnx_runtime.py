"""One way to open a bundled ONNX model: CPU only, a bounded thread pool, no busy-waiting."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_session(path: str | Path, threads: int | None = None):
    """An onnxruntime session on the CPU. onnxruntime is imported here, lazily, so that
    importing a capability module never loads it (the home page must stay light)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # no busy-waiting between ops: on a shared machine spinning threads only steal CPU from others
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
