"""The architecture's rules, read from the source itself (``ast``), so a change that breaks one fails
here instead of in a review:

- ``core/`` never imports Streamlit: the domain runs in the CLI, the workers and the tests alone;
- ``ui/`` and ``pages/`` reach the domain through ``core.services`` only: never a repository, a
  table model or the database module (no session opened by a page);
- nothing outside a module calls its private functions or reaches into the private attributes of
  its objects (``other_module._helper``, ``service._method``);
- ``core.errors`` never imports ``core.i18n`` (the other way is fine: no import circle);
- no module of ``core/``, ``ui/`` or ``pages/`` is over 400 lines;
- the top-level layout of the design card is there.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
FORBIDDEN_IN_UI = ("core.repositories", "core.models", "core.conf.db")


def _sources(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_core_never_imports_streamlit() -> None:
    found = [
        f"{_name(path)}: {name}"
        for path in _sources("core")
        for name in _imports(path)
        if name == "streamlit" or name.startswith("streamlit.")
    ]
    assert found == []


def test_ui_and_pages_reach_the_domain_through_services_only() -> None:
    found = [
        f"{_name(path)}: {name}"
        for path in [*_sources("ui", "pages"), ROOT / "streamlit_app.py"]
        for name in _imports(path)
        if name.startswith(FORBIDDEN_IN_UI)
    ]
    assert found == []


def _private_reach(path: Path) -> Iterator[str]:
    """``x._name`` where ``x`` is not ``self``/``cls`` (a module or another object's private part).
    Dunder names are public protocol, not private."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        attribute = node.attr
        if not attribute.startswith("_") or attribute.startswith("__"):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        if isinstance(owner, ast.Name) and owner.id in _STDLIB_PRIVATE_OK:
            continue  # documented hooks of the standard library (sys._getframe and the like)
        yield f"{_name(path)}:{node.lineno}: {ast.unparse(node)}"


# Names whose private-looking attributes are public API of the library that owns them.
_STDLIB_PRIVATE_OK = frozenset({"sys", "os"})


def test_pages_and_ui_never_call_private_parts_of_the_domain() -> None:
    found = [
        line
        for path in [*_sources("ui", "pages"), ROOT / "streamlit_app.py"]
        for line in _private_reach(path)
    ]
    assert found == []


def test_services_do_not_reach_into_other_modules_private_parts() -> None:
    """Inside ``core``, a module's private functions belong to it; objects keep their state."""
    found = []
    for path in _sources("core"):
        for line in _private_reach(path):
            expression = line.split(": ", 1)[1]
            # ``connection._x``-style reaches into third-party objects are not our modules.
            if expression.split(".")[0] in _OUR_MODULE_NAMES:
                found.append(line)
    assert found == []


_OUR_MODULE_NAMES = frozenset(
    path.stem for path in _sources("core") if path.stem != "__init__"
) | frozenset(path.name for path in (ROOT / "core").iterdir() if path.is_dir())


def test_errors_never_import_i18n() -> None:
    """One way only: ``core.i18n`` may use the errors (to word them); the errors take their texts
    from ``core.locales``, never from ``core.i18n``."""
    errors = set(_imports(ROOT / "core" / "errors.py"))
    assert not any(name.startswith("core.i18n") for name in errors)


@pytest.mark.parametrize("folder", ["core", "ui", "pages"])
def test_no_module_is_over_400_lines(folder: str) -> None:
    long = {
        _name(path): lines
        for path in _sources(folder)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_design_cards_layout_is_at_the_top() -> None:
    for name in ("streamlit_app.py", "pages", "core", "tests", "requirements.txt", ".streamlit"):
        assert (ROOT / name).exists(), name
