"""The shape of the code, checked: one-way imports (import-linter's contracts in .importlinter),
no model library at any module's top level, thin pages that use package facades only, short
modules, and no flat capability modules left at the top of ecom_models."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "ecom_models"
HEAVY = {"tensorflow", "keras", "onnxruntime", "prophet", "pyod", "torch", "dask", "distributed", "plotly",
         "sklearn", "statsmodels", "matplotlib", "PIL", "tokenizers", "cmdstanpy", "vaderSentiment"}
PACKAGES = {"core", "workspace", "intake", "text", "demo", "overview", "abtest", "forecast", "recommend", "reviews",
            "images", "risk", "support", "customers", "value"}
MODULE_LINES, PAGE_LINES = 600, 250
LONG_REASON = "longer than 600 lines because"  # what a module's docstring says to be allowed more


def _top_level_imports(tree: ast.Module):
    """Imports that run when the module is imported: the module body, and inside module-level
    if/try/with blocks (not inside functions or classes)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []) or []:
                    stack.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])


def _roots(node) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name.split(".")[0] for a in node.names]
    return [node.module.split(".")[0]] if node.module and node.level == 0 else []


def _library_files():
    return sorted(p for p in LIBRARY.rglob("*.py") if "__pycache__" not in p.parts)


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_no_model_library_at_any_module_top_level():
    offenders = []
    for path in _library_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in _top_level_imports(tree):
            heavy = HEAVY.intersection(_roots(node))
            if heavy:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {', '.join(sorted(heavy))}")
    assert not offenders, "load these inside the functions that need them:\n" + "\n".join(offenders)


def test_no_flat_capability_modules_at_the_top():
    flat = sorted(p.name for p in LIBRARY.glob("*.py")) 
    assert flat == ["__init__.py", "__main__.py", "cli.py"], flat
    packages = {p.name for p in LIBRARY.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= PACKAGES, packages - PACKAGES


def test_modules_are_short_or_say_why():
    long = []
    for path in _library_files():
        text = path.read_text()
        n = text.count("\n")
        doc = ast.get_docstring(ast.parse(text)) or ""
        if n > MODULE_LINES and LONG_REASON not in doc:
            long.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert not long, f"split along the seams (or say '{LONG_REASON} …' in the docstring):\n" + "\n".join(long)


def test_pages_are_thin():
    fat = [f"{p.name}: {p.read_text().count(chr(10))} lines" for p in sorted((ROOT / "pages").glob("*.py"))
           if p.read_text().count("\n") > PAGE_LINES]
    assert not fat, "a page reads inputs, asks the library, draws:\n" + "\n".join(fat)


def _facade_names(package: str) -> set[str]:
    tree = ast.parse((LIBRARY / package / "__init__.py").read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "pages").glob("*.py")) + ["../app.py"])
def test_pages_use_package_facades_only(page):
    """A page imports ecom_ui, core helpers and the public names of a capability's package,
    never a module inside a capability or a _private name: what a page needs is public API."""
    path = (ROOT / "pages" / page).resolve()
    bad = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            bad += [a.name for a in node.names if a.name.startswith("ecom_models.") and not a.name.startswith("ecom_models.core.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ecom_models"):
            parts = node.module.split(".")
            if parts[:2] == ["ecom_models", "core"]:
                continue
            if len(parts) != 2:
                bad.append(f"line {node.lineno}: from {node.module} import … (a module inside a package)")
                continue
            public = _facade_names(parts[1])
            for alias in node.names:
                if alias.name.startswith("_") or alias.name not in public:
                    bad.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ecom_ui"):
            bad += [f"line {node.lineno}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not bad, f"{page}:\n" + "\n".join(bad)
