"""The package's shape, as README.md's layout describes it: layers that only
look down, no import cycle, imports at the top, and commits only where a
request or a command ends."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from portal.plumbing.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "portal"
#: What each layer may import from the portal, besides itself.
ALLOWED = {
    "plumbing": set(),
    "content": {"plumbing"},
    "domain": {"plumbing", "content"},
    "web": {"plumbing", "content", "domain"},
    # The commands sit on top, like the web (README: create_app() -> ... -> web -> cli):
    # `flask content export` renders the public site through it.
    "cli": {"plumbing", "content", "domain", "web"},
}
#: The only places that commit: the request's commit point and ``transaction()``.
COMMIT_POINTS = {"portal/web/__init__.py", "portal/plumbing/db.py"}
#: Who may run a transaction() of its own: the commands, and the email sender
#: (a background job after the response, each claim and result its own unit).
TRANSACTION_USERS = {"portal/cli.py", "portal/domain/mail.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, tuple[Path, ast.Module]]:
    return {
        module_name(path): (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def imported(name: str, path: Path, node: ast.AST) -> list[str]:
    """Return the portal modules an import statement names (relative ones resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.startswith("portal")]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if not base.startswith("portal"):
        return []
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


MODULES = modules()


@pytest.mark.parametrize("name", [name for name in MODULES if layer(name)])
def test_each_layer_imports_only_the_layers_below_it(name):
    path, tree = MODULES[name]
    own = layer(name)
    for node in ast.walk(tree):
        for target in imported(name, path, node):
            other = layer(target)
            if other and other != own and target in MODULES | {f"portal.{other}": None}:
                assert other in ALLOWED[own], f"{name} imports {target}: {own} may not use {other}"


def module_imports(name: str) -> set[str]:
    path, tree = MODULES[name]
    found = set()
    for node in tree.body:
        for target in imported(name, path, node):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def test_no_import_cycle():
    graph = {name: module_imports(name) for name in MODULES}
    # A package imports its own modules to export them: only look at module edges.
    for name, targets in graph.items():
        for target in targets:
            if name.startswith(target + "."):
                continue
            seen, stack = set(), [target]
            while stack:
                current = stack.pop()
                if current == name:
                    pytest.fail(f"import cycle through {name} and {target}")
                if current in seen:
                    continue
                seen.add(current)
                stack.extend(other for other in graph.get(current, ()) if not current.startswith(other + "."))


@pytest.mark.parametrize("name", list(MODULES))
def test_imports_are_at_the_top_of_every_module(name):
    path, tree = MODULES[name]
    seen_code = False
    for node in tree.body:
        is_import = isinstance(node, (ast.Import, ast.ImportFrom))
        is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if is_import and seen_code:
            pytest.fail(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}: import below the code")
        if not (is_import or is_docstring):
            seen_code = True
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)) and imported(name, path, inner):
                    pytest.fail(
                        f"{path.relative_to(PROJECT_ROOT)}:{inner.lineno}: portal import inside a function"
                    )


def test_nothing_commits_outside_the_request_and_command_commit_points():
    for path, tree in MODULES.values():
        relative = str(path.relative_to(PROJECT_ROOT))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
                and relative not in COMMIT_POINTS
            ):
                pytest.fail(f"{relative}:{node.lineno}: {ast.unparse(node)}")


def test_only_commands_and_the_email_sender_open_transactions_of_their_own():
    for path, tree in MODULES.values():
        relative = str(path.relative_to(PROJECT_ROOT))
        for node in ast.walk(tree):
            named = isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Name) and node.func.id == "transaction")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "transaction")
            )
            if named and relative not in TRANSACTION_USERS:
                pytest.fail(f"{relative}:{node.lineno}: {ast.unparse(node)}")
