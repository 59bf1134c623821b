"""Python newer than the running interpreter: blank out the syntax ``ast`` cannot read.

``mailtls lint`` may run on Python 3.11 over code written for 3.12 or later: PEP 695
type parameters (``def f[T](x)``, ``class C[T]``), ``type`` aliases, PEP 701 f-strings
(``f"{x["key"]}"``), 3.14 template strings (``t"..."``). When :func:`ast.parse` refuses a
file, tree-sitter-python (from the ``mailtls[lint]`` extra) finds those constructs and
:func:`downlevel` replaces each with blanks of the same size: a ``type`` statement
becomes ``pass``, a type parameter list spaces, an f-string an empty string literal.
Every newline is kept, so each remaining line and column is where it was, and the
Python rules (with their data flow) run on the rest unchanged. None of the blanked
constructs can turn certificate verification off by itself.
"""

from __future__ import annotations

import importlib
from functools import cache

import tree_sitter as ts

from .treesitter import descendants, text

PACKAGE = "tree_sitter_python"


@cache
def _parser() -> ts.Parser | None:
    try:
        module = importlib.import_module(PACKAGE)
    except ImportError:
        return None
    return ts.Parser(ts.Language(module.language()))


def available() -> bool:
    return _parser() is not None


def _blank(chunk: bytes, head: bytes) -> bytes:
    """``chunk`` as ``head`` followed by spaces, every newline kept in its place."""
    body = bytes(b if b == 0x0A else 0x20 for b in chunk[len(head):])
    return head + body


def _string(chunk: bytes) -> bytes:
    if b"\n" not in chunk:
        return _blank(chunk, b'""')
    if len(chunk) < 6:
        return chunk
    inner = _blank(chunk[3:-3], b"")
    return b'"""' + inner + b'"""'


def _replacements(root: ts.Node) -> list[tuple[int, int, bytes]]:
    out: list[tuple[int, int, bytes]] = []
    skip_until = -1
    for node in descendants(root):
        if node.start_byte < skip_until:
            continue
        kind = node.type
        replacement: bytes | None = None
        if kind == "type_alias_statement":
            replacement = _blank(node.text or b"", b"pass")
        elif kind == "type_parameter" and node.parent is not None and node.parent.type in (
            "function_definition", "class_definition"
        ):
            replacement = _blank(node.text or b"", b"")
        elif kind == "string" and node.named_child_count:
            prefix = text(node.named_children[0]).lower()
            if ("f" in prefix or "t" in prefix) and any(
                c.type == "interpolation" for c in node.named_children
            ):
                replacement = _string(node.text or b"")
        if replacement is not None:
            out.append((node.start_byte, node.end_byte, replacement))
            skip_until = node.end_byte
    return out


def downlevel(source: str) -> str | None:
    """``source`` with the newer syntax blanked, or None (no grammar, nothing to blank)."""
    parser = _parser()
    if parser is None:
        return None
    data = source.encode("utf-8", "surrogateescape")
    edits = _replacements(parser.parse(data).root_node)
    if not edits:
        return None
    parts: list[bytes] = []
    at = 0
    for start, end, replacement in edits:
        parts += [data[at:start], replacement]
        at = end
    parts.append(data[at:])
    return b"".join(parts).decode("utf-8", "surrogateescape")
