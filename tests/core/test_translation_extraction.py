"""makemessages (xgettext) cannot see a gettext call inside an f-string: such a text is dropped
from the catalogues at the next update and shows in English to everyone (happened once with the
My day "Take" button). Every call must be outside the f-string, e.g. `take = _("Take")` first."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["bulletins", "dealers", "dms", "inventory", "leads", "reports", "sales", "service"]
GETTEXT = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "_lazy"}


def _calls_in_fstrings(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in GETTEXT
                ):
                    lines.append(inner.lineno)
    return lines


def test_no_gettext_call_inside_an_f_string() -> None:
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for line in _calls_in_fstrings(ast.parse(path.read_text(encoding="utf-8"))):
                found.append(f"{path.relative_to(ROOT)}:{line}")
    assert found == []


def test_the_check_sees_a_call_inside_an_f_string() -> None:
    assert _calls_in_fstrings(ast.parse("x = f\"<b>{_('Take')}</b>\"")) == [1]
    assert _calls_in_fstrings(ast.parse('t = _("Take")\nx = f"<b>{t}</b>"')) == []
