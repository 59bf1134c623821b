"""Tree-sitter parsing and the three facts that most rules are written over.

Each language has a small query file (tree-sitter's S-expression query language) that
captures the same three facts, named alike in every grammar:

- ``call``: a call; ``@name`` is the called function or method name, ``@args`` its
  argument list;
- ``pair``: a key/value entry (object literal, keyword argument, array ``=>``, Go keyed
  element, Ruby hash pair); ``@key``, ``@value``;
- ``assign``: an assignment; ``@target`` the last name assigned to, ``@value``.

Rules (:mod:`mailtls.lint.ts_rules`) are then data over these facts; the few that need
structure (a method that never throws) are small functions over the tree. Comments and
plain strings are never facts, so text that merely mentions a knob is not a finding.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts

from .grammars import PACKAGES, GrammarsMissing

#: Language -> (grammar package, function that returns the grammar). A package is imported
#: only when a file of its language is parsed: a run over Python and JavaScript never
#: loads the other eight grammars.
_GRAMMARS: dict[str, tuple[str, str]] = {
    "java": ("tree_sitter_java", "language"),
    "kotlin": ("tree_sitter_kotlin", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "php": ("tree_sitter_php", "language_php"),
    "go": ("tree_sitter_go", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "rust": ("tree_sitter_rust", "language"),
}

LANGUAGES = frozenset(_GRAMMARS)

_JS_FACTS = """
(call_expression function: [(identifier) @name
  (member_expression property: (property_identifier) @name)] arguments: (arguments) @args) @call
(new_expression constructor: [(identifier) @name
  (member_expression property: (property_identifier) @name)] arguments: (arguments) @args) @call
(pair key: (_) @key value: (_) @value) @pair
(assignment_expression left: [(identifier) @target
  (member_expression property: (property_identifier) @target)
  (subscript_expression index: (string) @target)] right: (_) @value) @assign
"""

_FACTS: dict[str, str] = {
    "java": """
(method_invocation name: (identifier) @name arguments: (argument_list) @args) @call
(object_creation_expression type: (_) @name arguments: (argument_list) @args) @call
(assignment_expression left: [(identifier) @target (field_access field: (identifier) @target)]
  right: (_) @value) @assign
""",
    "kotlin": """
(call_expression [(identifier) @name (navigation_expression (identifier) @name .)]
  (value_arguments) @args) @call
(assignment [(identifier) @target (navigation_expression (identifier) @target .)]
  (_) @value .) @assign
(assignment (index_expression (_) (string_literal) @key) (_) @value .) @pair
""",
    "javascript": _JS_FACTS,
    "typescript": _JS_FACTS,
    "tsx": _JS_FACTS,
    "php": """
(function_call_expression function: (name) @name arguments: (arguments) @args) @call
(member_call_expression name: (name) @name arguments: (arguments) @args) @call
(scoped_call_expression name: (name) @name arguments: (arguments) @args) @call
(array_element_initializer (_) @key "=>" (_) @value) @pair
(assignment_expression left: [(member_access_expression name: (name) @target)
  (variable_name (name) @target)] right: (_) @value) @assign
""",
    "go": """
(call_expression function: [(identifier) @name
  (selector_expression field: (field_identifier) @name)] arguments: (argument_list) @args) @call
(keyed_element . (literal_element (identifier) @key) (literal_element (_) @value)) @pair
(assignment_statement
  left: (expression_list (selector_expression field: (field_identifier) @target))
  right: (expression_list (_) @value)) @assign
""",
    "csharp": """
(invocation_expression function: [(identifier) @name
  (member_access_expression name: (identifier) @name)] arguments: (argument_list) @args) @call
(assignment_expression left: [(identifier) @target
  (member_access_expression name: (identifier) @target)] right: (_) @value) @assign
""",
    "ruby": """
(call method: (identifier) @name arguments: (argument_list) @args) @call
(pair key: (_) @key value: (_) @value) @pair
(assignment left: [(identifier) @target (call method: (identifier) @target)]
  right: (_) @value) @assign
""",
    "rust": """
(call_expression function: [(identifier) @name (field_expression field: (field_identifier) @name)
  (scoped_identifier name: (identifier) @name)] arguments: (arguments) @args) @call
(assignment_expression left: (field_expression field: (field_identifier) @target)
  right: (_) @value) @assign
""",
}

COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment", "multiline_comment"})


@dataclass(frozen=True)
class Fact:
    """One captured fact: its kind, the name/key text, and the nodes it is about."""

    kind: str  # call, pair, assign
    name: str
    node: ts.Node
    value: ts.Node | None  # pair/assign value; call: the argument list
    name_node: ts.Node


@cache
def language(lang: str) -> ts.Language:
    package, function = _GRAMMARS[lang]
    try:
        module = importlib.import_module(package)
    except ImportError:  # the mailtls[lint] extra is not installed (lint_paths checks first)
        raise GrammarsMissing([PACKAGES[lang][1]]) from None
    return ts.Language(getattr(module, function)())


@cache
def _facts_query(lang: str) -> ts.Query:
    return ts.Query(language(lang), _FACTS[lang])


@cache
def query(lang: str, source: str) -> ts.Query:
    """A compiled query, cached per process (rules compile theirs on first use)."""
    return ts.Query(language(lang), source)


@cache
def _parser(lang: str) -> ts.Parser:
    return ts.Parser(language(lang))


def parse(lang: str, data: bytes) -> ts.Tree:
    return _parser(lang).parse(data)


def text(node: ts.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def compact(node: ts.Node) -> str:
    """The node's tokens without comments or blanks: ``{ return true; }`` -> ``{returntrue;}``."""
    parts: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in COMMENT_TYPES:
            continue
        if n.child_count == 0:
            parts.append(text(n))
        else:
            stack.extend(reversed(n.children))
    return "".join("".join(parts).split())


def facts(lang: str, root: ts.Node) -> Iterator[Fact]:
    """Every call, pair and assignment in the tree, in the query's order."""
    for _, caps in ts.QueryCursor(_facts_query(lang)).matches(root):
        for kind, name_cap in (("call", "name"), ("pair", "key"), ("assign", "target")):
            if kind in caps:
                node = caps[kind][0]
                name = caps[name_cap][0]
                other = caps.get("args" if kind == "call" else "value")
                yield Fact(kind, text(name), node, other[0] if other else None, name)
                break


def arguments(args: ts.Node | None) -> list[ts.Node]:
    """The argument expressions of an argument list, unwrapped from argument nodes."""
    if args is None:
        return []
    out: list[ts.Node] = []
    for child in args.named_children:
        if child.type in COMMENT_TYPES:
            continue
        if child.type in ("argument", "value_argument") and child.named_child_count:
            inner = [c for c in child.named_children if c.type not in COMMENT_TYPES]
            child = inner[-1] if inner else child
        out.append(child)
    return out


def descendants(node: ts.Node) -> Iterator[ts.Node]:
    """All nodes below ``node``, depth first, without recursion (deep nesting is fine)."""
    stack = list(reversed(node.children))
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def ancestor(node: ts.Node, types: frozenset[str]) -> ts.Node | None:
    parent = node.parent
    while parent is not None and parent.type not in types:
        parent = parent.parent
    return parent
