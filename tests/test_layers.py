"""The code's shape: imports run one way down the layers, no cycles, short functions.

The layers (../shared/STYLE.md, the README's layout section), highest first:

    bot.app, bot.cli, bot.processor   composition root: may import anything
    handlers                          Telegram: parse, call a use case or a query, render
    scheduler                         use cases, jobs, runner, sender, messages, documents
    storage                           persistence: models, queries, rollup SQL, migrations
    scheduler.scoring                 LEAF: the pure domain (stdlib and bot.core only)
    bot.core                          LEAF: settings, i18n, clock (nothing of ours)

Every import counts, also those inside functions and under ``TYPE_CHECKING``: the
AST of every module is walked. import-linter's ``layers`` contract cannot say
that ``scheduler.scoring`` sits below ``storage`` while ``scheduler`` sits above
it, so this test is the contract. Importing ``a.b.c`` also runs ``a/__init__``
and ``a/b/__init__``, so package ``__init__`` files import nothing.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scheduler", "storage")

# (module prefix, rank): the first matching prefix wins, so nested leaves come first.
LAYERS: tuple[tuple[str, int], ...] = (
    ("bot.core", 0),
    ("scheduler.scoring", 1),
    ("storage", 2),
    ("scheduler", 3),
    ("handlers", 4),
    ("bot", 5),
)
LAYER_NAMES = {0: "bot.core", 1: "scheduler.scoring", 2: "storage", 3: "scheduler", 4: "handlers"}
LEAVES_STDLIB_ONLY = ("scheduler.scoring",)

LONG = 60  # lines (end_lineno - lineno + 1) above which a function needs a reason
LONGEST = 100  # lines no function may exceed
MAX_LONG = 10  # functions over LONG, each defended by a "# long: …" comment above it
LONG_MARK = "# long:"


def module_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "versions" in path.parts and "migrations" in path.parts:
                continue  # frozen migrations import only alembic and sqlalchemy
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def rank(module: str) -> int:
    for prefix, value in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return value
    raise AssertionError(f"{module} is in no layer")


def resolve(name: str) -> str | None:
    """The project module an imported name belongs to (longest matching prefix)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def imported_names(module: str, tree: ast.AST) -> list[tuple[str, int]]:
    """Every (absolute dotted name, line) the module imports, anywhere in it."""
    is_package = MODULES[module].name == "__init__.py"
    names: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            names.append((source, node.lineno))
            names += [(f"{source}.{alias.name}", node.lineno) for alias in node.names]
    return names


def import_graph() -> dict[str, dict[str, int]]:
    """module → {imported project module: first line}."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in MODULES.items():
        edges: dict[str, int] = {}
        for name, line in imported_names(module, ast.parse(path.read_text(encoding="utf-8"))):
            target = resolve(name)
            if target is not None and target != module:
                edges.setdefault(target, line)
        graph[module] = edges
    return graph


GRAPH = import_graph()


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_imports_never_run_up_the_layers():
    upward = [
        f"{MODULES[module].relative_to(ROOT)}:{line}: {module} ({LAYER_NAMES.get(rank(module))}) "
        f"imports {target} ({LAYER_NAMES.get(rank(target), 'composition root')})"
        for module, edges in GRAPH.items()
        for target, line in edges.items()
        if rank(target) > rank(module)
    ]
    assert upward == [], "imports that run up the layers:\n" + "\n".join(sorted(upward))


def test_no_import_cycles():
    cycles = strongly_connected(GRAPH)
    assert cycles == [], "modules that import each other (directly or not): " + "; ".join(
        " ↔ ".join(component) for component in cycles
    )


def test_the_leaves_import_only_the_standard_library_and_bot_core():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    wrong = []
    for module, path in MODULES.items():
        if not module.startswith(LEAVES_STDLIB_ONLY):
            continue
        for name, line in imported_names(module, ast.parse(path.read_text(encoding="utf-8"))):
            top = name.split(".")[0]
            if top in stdlib or name.startswith(("bot.core", "scheduler.scoring", "scheduler")):
                continue
            wrong.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert wrong == [], "the pure domain imports a library:\n" + "\n".join(sorted(set(wrong)))


def test_package_inits_import_nothing():
    """Importing a leaf runs its parents' ``__init__``: they must not pull anything in."""
    busy = []
    for path in MODULES.values():
        if path.name != "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(
            isinstance(node, ast.Import | ast.ImportFrom)
            and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
            for node in ast.walk(tree)
        ):
            busy.append(str(path.relative_to(ROOT)))
    assert busy == []


def long_functions() -> list[tuple[int, str, bool]]:
    """(lines, 'path::name', defended) of every function over LONG lines."""
    found = []
    for path in MODULES.values():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
            if length <= LONG:
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            above = lines[first - 2].strip() if first >= 2 else ""
            found.append((length, f"{path.relative_to(ROOT)}::{node.name}", LONG_MARK in above))
    return sorted(found, reverse=True)


def test_functions_are_short():
    found = long_functions()
    too_long = [f"{name} ({length} lines)" for length, name, _ in found if length > LONGEST]
    assert too_long == [], f"functions over {LONGEST} lines: " + ", ".join(too_long)
    undefended = [f"{name} ({length} lines)" for length, name, ok in found if not ok]
    assert undefended == [], (
        f"functions over {LONG} lines without a '{LONG_MARK} <reason>' comment above them: "
        + ", ".join(undefended)
    )
    assert len(found) <= MAX_LONG, f"{len(found)} functions over {LONG} lines (at most {MAX_LONG})"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from storage import outbox\n", ["storage", "storage.outbox"]),
        ("def f():\n    from handlers.context import BotContext\n", ["handlers.context"]),
        ("import bot.core.clock as c\n", ["bot.core.clock"]),
    ],
)
def test_the_walker_sees_every_kind_of_import(source: str, expected: list[str]):
    """The checks above are only as good as this walker: imports in functions count."""
    names = {resolve(name) for name, _ in imported_names("scheduler.sender", ast.parse(source))}
    assert set(expected) <= names


def test_an_upward_import_would_be_caught():
    graph = {"storage.outbox": {"handlers.context": 1}, "handlers.context": {}}
    assert any(rank(t) > rank(m) for m, edges in graph.items() for t in edges)
    assert strongly_connected({"a": {"b": 1}, "b": {"a": 1}}) == [["a", "b"]]
