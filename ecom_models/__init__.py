"""Ecom Value Lab model library.

Pure Python: never imports streamlit, and keeps heavy imports (TensorFlow, Prophet,
onnxruntime) inside the functions that need them so that importing the package is cheap.
"""

__version__ = "0.1.0"
