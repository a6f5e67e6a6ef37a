"""Guard: every file uploader in the app has a stable key and a real-browser test that drops a file
on it, and a test that drops a wrong file on it (issue 26: a crash on uploading photos went
unnoticed because AppTest cannot drive an uploader the way Chromium does).

The uploaders are found by reading the source (AST): each `st.file_uploader(...)` call in pages/,
ecom_ui/ and app.py, whatever it is called on (st, st.sidebar, a column). A browser test names
an uploader by calling tests/browser.py's `upload(page, "<key>", file, ...)` with the key
written out, inside a test function; a key mentioned anywhere else (a comment, an AppTest test)
does not count. A test function with 'wrong' in its name drops wrong files; any other drops the
right kind of file."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def app_sources() -> list[Path]:
    return sorted((ROOT / "pages").glob("*.py")) + sorted((ROOT / "ecom_ui").rglob("*.py")) + [ROOT / "app.py"]


def browser_test_sources() -> list[Path]:
    return sorted((ROOT / "tests").glob("test_*.py"))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def uploaders(paths: list[Path]) -> list[tuple[str, str | None]]:
    """(where, key) for every file_uploader call; key None when it is missing or not a plain string."""
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Call) and _name(node.func) == "file_uploader":
                key = next((kw.value for kw in node.keywords if kw.arg == "key"), None)
                found.append((f"{path.relative_to(path.parents[1])}:{node.lineno}", _text(key)))
    return found


def browser_tests_by_key(paths: list[Path]) -> dict[str, set[str]]:
    """{key: names of the test functions that call `upload(page, key, ...)`} in these modules."""
    tests: dict[str, set[str]] = {}
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for fn in tree.body:
            if not (isinstance(fn, ast.FunctionDef) and fn.name.startswith("test")):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Call) and _name(node.func) == "upload":
                    key = _text(node.args[1] if len(node.args) > 1 else next(
                        (kw.value for kw in node.keywords if kw.arg == "key"), None))
                    if key:
                        tests.setdefault(key, set()).add(fn.name)
    return tests


def problems(app_paths: list[Path], test_paths: list[Path]) -> list[str]:
    """What is missing: a key, a test dropping the right kind of file, a test dropping a wrong one
    (a test whose name says 'wrong')."""
    tested = browser_tests_by_key(test_paths)
    out = []
    for where, key in uploaders(app_paths):
        if key is None:
            out.append(f"{where}: st.file_uploader without a stable key= (a plain string): give it one, so a "
                       "browser test can find it")
            continue
        names = tested.get(key, set())
        if not any("wrong" not in n for n in names):
            out.append(f"{where}: no browser test drops a real file on the uploader '{key}': add one to "
                       f"tests/test_browser_uploads.py that calls upload(page, \"{key}\", a_real_file) and checks "
                       "the page shows that file's result")
        if not any("wrong" in n for n in names):
            out.append(f"{where}: no browser test drops a wrong file on the uploader '{key}': add it to "
                       "test_a_wrong_file_on_every_uploader_gets_a_message_naming_it")
    return out


def test_every_uploader_has_a_key_and_a_browser_test():
    found = uploaders(app_sources())
    assert len(found) >= 8, found  # the eight of issue 26: the guard is reading the right files
    assert not problems(app_sources(), browser_test_sources()), "\n".join(problems(app_sources(), browser_test_sources()))


def test_the_guard_fails_for_a_new_uploader_without_a_browser_test(tmp_path):
    pages, tests = tmp_path / "pages", tmp_path / "tests"
    pages.mkdir()
    tests.mkdir()
    (pages / "gift_cards.py").write_text(
        "import streamlit as st\n"
        "left, right = st.columns(2)\n"
        "cards = left.file_uploader('Gift cards', type=['csv'], key='gift_cards')\n"
        "codes = right.file_uploader('Codes', key='codes')\n"
        "with st.sidebar:\n"
        "    logo = st.sidebar.file_uploader('Logo')\n"
        "    banner = st.file_uploader('Banner', key=f'banner_{1}')\n", encoding="utf-8")
    (tests / "test_browser_gift_cards.py").write_text(
        "from tests.browser import upload\n"
        "def test_codes(page, path):\n"
        "    upload(page, 'codes', path)\n"
        "    # upload(page, 'gift_cards', path) in a comment does not count\n"
        "    at.file_uploader(key='gift_cards')  # nor does an AppTest call\n"
        "def test_wrong_files(page, path):\n"
        "    upload(page, 'codes', path)\n"
        "    upload(page, 'gift_cards', path)\n", encoding="utf-8")
    found = problems([pages / "gift_cards.py"], [tests / "test_browser_gift_cards.py"])
    assert len(found) == 3, found
    assert "gift_cards.py:3: no browser test drops a real file on the uploader 'gift_cards'" in found[0]
    assert "gift_cards.py:6: st.file_uploader without a stable key=" in found[1]
    assert "gift_cards.py:7: st.file_uploader without a stable key=" in found[2]  # a computed key is not stable
    # once a browser test drops a real file on it, the guard is satisfied ...
    (tests / "test_browser_more.py").write_text("def test_cards(page):\n    upload(page, key='gift_cards')\n",
                                               encoding="utf-8")
    found = problems([pages / "gift_cards.py"], sorted(tests.glob("test_*.py")))
    assert [f for f in found if "'gift_cards'" in f] == [], found
    # ... and it asks for the wrong-file test too
    (tests / "test_browser_gift_cards.py").write_text("def test_codes(page):\n    upload(page, 'codes', 1)\n",
                                                      encoding="utf-8")
    found = problems([pages / "gift_cards.py"], sorted(tests.glob("test_*.py")))
    assert any("no browser test drops a wrong file on the uploader 'codes'" in f for f in found), found
    assert any("no browser test drops a wrong file on the uploader 'gift_cards'" in f for f in found), found
