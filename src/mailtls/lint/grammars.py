"""Which tree-sitter grammars are installed: they come with the ``mailtls[lint]`` extra.

``pip install mailtls`` brings ``scan``, ``audit-config``, ``send`` and the client without
the nine grammar wheels; ``pip install 'mailtls[lint]'`` adds them. Without them ``lint``
still reads Python (through :mod:`ast`), shell scripts and configuration files. A run
that meets a file whose grammar is missing stops before scanning, with a message that
names the languages and the extra: never a traceback, and never a file silently left out
while the run exits 0.

Presence is tested with :func:`importlib.util.find_spec`, which imports nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.util import find_spec

from .walk import WalkError

EXTRA = "mailtls[lint]"
INSTALL = f"pip install '{EXTRA}'"
#: The tree-sitter runtime every grammar needs.
CORE = "tree_sitter"
#: Scanner kind -> (grammar package, the language's name for people). The packages are
#: those of ``mailtls.lint.treesitter._GRAMMARS`` (a test keeps the two tables equal).
PACKAGES: dict[str, tuple[str, str]] = {
    "java": ("tree_sitter_java", "Java"),
    "kotlin": ("tree_sitter_kotlin", "Kotlin"),
    "javascript": ("tree_sitter_javascript", "JavaScript"),
    "typescript": ("tree_sitter_typescript", "TypeScript"),
    "tsx": ("tree_sitter_typescript", "TypeScript"),
    "php": ("tree_sitter_php", "PHP"),
    "go": ("tree_sitter_go", "Go"),
    "csharp": ("tree_sitter_c_sharp", "C#"),
    "ruby": ("tree_sitter_ruby", "Ruby"),
    "rust": ("tree_sitter_rust", "Rust"),
}


class GrammarsMissing(WalkError):
    """Files need grammars that are not installed; the message names the extra.

    A :class:`~mailtls.lint.walk.WalkError`: the CLI reports it as a usage error, like a
    path that cannot be used.
    """

    def __init__(self, languages: Iterable[str], files: int = 0) -> None:
        self.languages = sorted(set(languages))
        self.files = files
        needed = f" (needed by {files} file{'s' if files != 1 else ''})" if files else ""
        super().__init__(
            f"the tree-sitter grammars for {', '.join(self.languages)} are not installed"
            f"{needed}: install them with {INSTALL}, or leave these files out with --exclude"
        )


def installed(package: str) -> bool:
    """True when ``package`` can be imported (without importing it)."""
    try:
        return find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def missing(kinds: Iterable[str]) -> set[str]:
    """The kinds among ``kinds`` whose grammar (or the tree-sitter runtime) is missing."""
    wanted = {k for k in kinds if k in PACKAGES}
    if not wanted:
        return set()
    if not installed(CORE):
        return wanted
    return {k for k in wanted if not installed(PACKAGES[k][0])}


def require(files: Iterable[tuple[str, str]]) -> None:
    """Raise :class:`GrammarsMissing` when a (path, kind) needs a grammar that is missing."""
    kinds = [kind for _, kind in files]
    absent = missing(set(kinds))
    if absent:
        count = sum(kind in absent for kind in kinds)
        raise GrammarsMissing((PACKAGES[k][1] for k in absent), count)
