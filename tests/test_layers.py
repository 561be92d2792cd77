"""The layers run one way (issue 13, item 12): shared UI pieces sit below every app and the core.

`dms/ui/` (form styling, date widget, filter and table bases) imports no app, and no module
outside `dealers/` takes a widget or a base class from `dealers/`'s own forms, filters or tables.
The check reads the source with `ast`, so it sees every import, including those inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("dealers", "leads", "sales", "reports", "inventory", "service", "bulletins")
DEALER_UI_MODULES = ("dealers.forms", "dealers.filters", "dealers.tables")


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in one file."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module


def python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from (p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)


def offending(paths: Iterator[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in paths
        for line, module in imports_of(path)
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    ]


def test_relative_imports_are_resolved_like_python_does() -> None:
    """The checker itself: `from .forms import x` in dealers/filters.py is dealers.forms."""
    found = {m for _, m in imports_of(ROOT / "dealers" / "filters.py")}
    assert "dealers.forms" in found
    assert "dms.ui.filters" in found


def test_shared_ui_pieces_import_no_app() -> None:
    assert offending(python_files("dms/ui"), APPS) == []


def test_no_module_outside_dealers_takes_ui_pieces_from_dealers() -> None:
    folders = [f for f in ("dms", *APPS) if f != "dealers" and (ROOT / f).is_dir()]
    assert offending(python_files(*folders), DEALER_UI_MODULES) == []


def test_the_checker_sees_a_forbidden_import() -> None:
    """A rule that cannot fail is no rule: a file importing a dealer widget is reported."""
    probe = ROOT / "dms" / "ui" / "_probe_layers.py"
    probe.write_text("def f():\n    from dealers.forms import DealerForm\n")
    try:
        assert offending(iter([probe]), DEALER_UI_MODULES) == [
            "dms/ui/_probe_layers.py:2 imports dealers.forms"
        ]
        assert offending(iter([probe]), APPS)
    finally:
        probe.unlink()
