"""The layering of shared/design.md, kept true by walking the imports."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "mailtls"
IO_MODULES = {"socket", "asyncio", "ssl", "selectors", "OpenSSL"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                pkg = path.relative_to(SRC).parts[:-1]
                base = pkg[: len(pkg) - node.level + 1]
                mod = ".".join(("mailtls", *base, mod) if mod else ("mailtls", *base))
            found.add(mod)
    return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def modules(layer: str) -> list[Path]:
    return sorted((SRC / layer).rglob("*.py"))


@pytest.mark.parametrize("path", modules("proto"), ids=str)
def test_proto_is_sans_io(path: Path) -> None:
    for mod in imports(path):
        assert mod.split(".")[0] not in IO_MODULES, f"{path.name} imports {mod}"
        if mod.startswith("mailtls."):
            assert mod.split(".")[1] in ("proto", "model", "errors"), f"{path.name} imports {mod}"


@pytest.mark.parametrize("layer", ["verify", "checks", "export", "catalog", "proto"])
def test_only_net_and_cli_touch_the_network(layer: str) -> None:
    for path in modules(layer):
        for mod in imports(path):
            assert mod.split(".")[0] not in IO_MODULES, f"{path} imports {mod}"
            assert not any(_within(mod, p) for p in ("mailtls.net", "mailtls.cli")), (path, mod)


@pytest.mark.parametrize("path", modules("catalog"), ids=str)
def test_catalog_imports_no_config(path: Path) -> None:
    """The catalogue holds every sentence; config refers to them, never the other way."""
    for mod in imports(path):
        assert not _within(mod, "mailtls.config"), f"{path.name} imports {mod}"


def test_nothing_imports_cli() -> None:
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts or path.name == "__main__.py":
            continue
        assert not any(_within(m, "mailtls.cli") for m in imports(path)), path


def test_modules_stay_small() -> None:
    for path in SRC.rglob("*.py"):
        assert len(path.read_text().splitlines()) < 600, path
