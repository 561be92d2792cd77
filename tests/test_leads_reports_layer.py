"""Layers (issue 13, item 12): reports/ reads what leads/ writes — the KPI facts and the
analytics on them (the funnel: reports.funnel) live in reports/ — and leads/ never imports
reports/, at the top of a module or inside a function alike. leads/ reaches reports/ only the
other way round: reports connects to leads' signals (leads.signals), dms/urls.py mounts the
funnel page with the leads pages, and the dirty-day marks its models leave are dms.kpi's."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import in `source`: import x, from x import y (relative imports
    resolve inside the package, so only absolute ones can leave it), importlib.import_module("x")
    and __import__("x") with a literal name."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (
                    isinstance(node.func, ast.Name)
                    and node.func.id in {"import_module", "__import__"}
                )
            )
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _reports(module: str) -> bool:
    return module == "reports" or module.startswith("reports.")


def test_no_module_under_leads_imports_reports() -> None:
    files = sorted((ROOT / "leads").rglob("*.py"))
    assert len(files) > 30 and ROOT / "leads" / "models.py" in files  # the scan sees leads/
    problems = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in files
        for line, module in imported_modules(path.read_text())
        if _reports(module)
    ]
    assert not problems, "leads/ must not import reports/:\n" + "\n".join(problems)


def test_the_check_finds_every_kind_of_import() -> None:
    """Positive control: each form an import of reports/ can take is found (the test above
    would pass vacuously otherwise); a name that merely starts with "reports" is not one."""
    source = """
import reports
import reports.models as m
from reports.rollup.selectors import rolled_through
import importlib

def later():
    from reports.funnel import selectors
    importlib.import_module("reports.rollup.services")
    __import__("reports.models")

from reportsx import y
from . import reports
"""
    found = sorted(module for _line, module in imported_modules(source) if _reports(module))
    assert found == sorted(
        [
            "reports",
            "reports.models",
            "reports.rollup.selectors",
            "reports.funnel",
            "reports.rollup.services",
            "reports.models",
        ]
    )
