"""Data flow for the tree-sitter languages: accepting paths of callbacks, constant folding.

**Accepting paths.** A certificate callback (C# ``RemoteCertificateValidationCallback``,
a Java ``checkServerTrusted`` or ``HostnameVerifier.verify``) is unsafe when *some* path
through it accepts without the verification having succeeded. :func:`accepting_path`
follows the statements (``if``/``else``, ``switch`` sections, ``try``/``catch``,
``return``, ``throw``), keeps the conditions taken on the way, and returns the first path
that accepts while none of its conditions is a verification:

- ``bool`` callbacks accept at ``return <expr>`` where a disjunct of ``expr`` is true-ish
  (``true``, ``errors == SslPolicyErrors.RemoteCertificateNameMismatch``, a subject
  substring test, a flag) and neither the path nor that disjunct verified anything;
- ``void`` trust managers accept by returning normally: a path that ends without a
  ``throw`` and without delegating to a ``check*``/``verify*``/``validate*`` call (a
  throw guarded by a test flag, or by a subject substring test, leaves such a path).

What counts as verification is :func:`verifies`: a ``SslPolicyErrors.None`` test with
the right polarity (and no mask), a call whose name says it checks (``Build``,
``Verify``, ``checkServerTrusted``), or a pin (thumbprint, hash, public key). A
condition about anything else (a flag, the subject's text, the kind of error) is not.
Unknown expressions (a call's result, a variable) count as verification: no guess.

**Constant folding.** :func:`fold` turns ``"mail." + protocol + ".ssl.trust"`` into a
string with :data:`UNKNOWN` where a part is not known, following simple variables
declared with a constant in the same file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter as ts

from .treesitter import COMMENT_TYPES, compact, descendants, text

#: Stands for a part of a folded string that is not a constant.
UNKNOWN = "\x00"
#: Paths followed per function at most (nested ifs multiply them).
MAX_PATHS = 64

BLOCKS = frozenset({"block", "statement_list", "statements", "function_body", "switch_body",
                    "switch_block", "control_structure_body"})
THROWS = frozenset({"throw_statement", "throw_expression"})
CHECK_CALL = re.compile(r"(?i)check|verif|valid|build|trust|pin")
PIN = re.compile(r"(?i)thumbprint|certhash|publickey|fingerprint|rawdata|getencoded|digest")
SUBJECT = re.compile(r"(?i)subject|issuer|getname|nameinfo|friendlyname|commonname|\bcn\b")
#: Calls that only read or log: not a verification.
READ_CALLS = re.compile(
    r"(?i)^(contains|startswith|endswith|equals|equalsignorecase|indexof|matches|tostring|"
    r"getname|getsubjectdn|getsubjectx500principal|getissuerdn|getnameinfo|log|debug|info|"
    r"warn|warning|error|trace|writeline|write|println|print|printf)$"
)
_NONE = re.compile(r"SslPolicyErrors\.None$|^0$")
_ERROR_KIND = re.compile(r"SslPolicyErrors\.(?!None\b)\w+")


@dataclass(frozen=True)
class Cond:
    """A condition taken on a path, with its polarity (False: the ``else`` side)."""

    node: ts.Node | None
    positive: bool
    label: str = ""

    def describe(self) -> str:
        if self.label or self.node is None:
            return self.label
        node, positive = _unwrap(self.node), self.positive
        if node.type in ("prefix_unary_expression", "unary_expression") and text(
            node
        ).startswith("!"):
            node, positive = _unwrap(node.named_children[-1]), not positive
        shown = " ".join(text(node).split())[:80]
        return shown if positive else f"not ({shown})"


@dataclass(frozen=True)
class Accept:
    """An accepting path: where it accepts and the conditions that lead there."""

    node: ts.Node
    conds: tuple[Cond, ...]
    reason: str  # what the accepting expression is, e.g. "true"

    def describe(self, verb: str) -> str:
        when = " and ".join(c.describe() for c in self.conds)
        what = f"{verb} {self.reason}".strip()
        return f"{what} when {when}" if when else f"{what} on every path"


def _unwrap(node: ts.Node) -> ts.Node:
    while node.type in ("parenthesized_expression", "parenthesized") and node.named_child_count:
        inner = [c for c in node.named_children if c.type not in COMMENT_TYPES]
        node = inner[0]
    return node


def _operator(node: ts.Node) -> str:
    op = node.child_by_field_name("operator")
    if op is not None:
        return text(op)
    for child in node.children:
        if not child.is_named:
            return text(child)
    return ""


def _call_name(node: ts.Node) -> str:
    fn = node.child_by_field_name("name") or node.child_by_field_name("function")
    if fn is None and node.named_child_count:
        fn = node.named_children[0]
    name = text(fn)
    return re.split(r"[.:]", name)[-1] if name else ""


CALLS = frozenset({"invocation_expression", "method_invocation", "call_expression"})


def verifies(node: ts.Node, positive: bool) -> bool:
    """True when the condition, taken with this polarity, means verification succeeded."""
    node = _unwrap(node)
    if node.type in ("prefix_unary_expression", "unary_expression") and text(node).startswith("!"):
        return verifies(node.named_children[-1], not positive)
    if node.type in ("binary_expression", "conjunction_expression", "disjunction_expression",
                     "equality_expression"):
        op = _operator(node)
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            named = node.named_children
            left, right = (named[0], named[-1]) if len(named) >= 2 else (node, node)
        if op in ("&&", "and"):
            return positive and (verifies(left, True) or verifies(right, True))
        if op in ("||", "or"):
            return positive and verifies(left, True) and verifies(right, True)
        if op in ("==", "!=", "is"):
            return _none_test(left, right, positive == (op != "!="))
    return _mentions_check(node)


def _none_test(left: ts.Node, right: ts.Node, equal: bool) -> bool:
    """``errors == SslPolicyErrors.None`` (when ``equal``), and nothing masked out."""
    sides = [compact(left), compact(right)]
    none_side = any(_NONE.search(s) for s in sides)
    if none_side:
        masked = any(_ERROR_KIND.search(s) for s in sides)
        return equal and not masked
    return _mentions_check(left) or _mentions_check(right)


def _mentions_check(node: ts.Node) -> bool:
    """A call that checks (``chain.Build(cert)``) or a pin (thumbprint, hash) in ``node``."""
    for n in [node, *descendants(node)]:
        if n.type in CALLS:
            name = _call_name(n)
            if CHECK_CALL.search(name) and not READ_CALLS.match(name):
                return True
        if n.type in ("identifier", "field_identifier", "property_identifier") and PIN.search(
            text(n)
        ):
            return True
    return False


def true_ish(node: ts.Node) -> str | None:
    """Why a returned expression can be true without a verification; None if it cannot."""
    node = _unwrap(node)
    t = compact(node)
    if t in ("true", "True"):
        return "true"
    if t in ("false", "False"):
        return None
    if node.type in ("binary_expression", "disjunction_expression") and _operator(node) in (
        "||", "or"
    ):
        for side in (node.child_by_field_name("left"), node.child_by_field_name("right")):
            if side is not None:
                why = true_ish(side)
                if why is not None:
                    return why
        return None
    if _weak(node):
        return " ".join(text(node).split())[:80]
    return None


def _weak(node: ts.Node) -> bool:
    """A condition that does not verify but is about something we know is not enough."""
    if verifies(node, True):
        return False
    t = compact(node)
    return bool(_ERROR_KIND.search(t) or SUBJECT.search(t) or node.type == "identifier"
                or t.isupper())


@dataclass
class Flow:
    """Walks one function body; ``mode`` is ``bool`` (accept = return true) or ``void``."""

    mode: str
    found: Accept | None = None
    paths: int = 0

    def run(self, stmts: list[ts.Node], conds: list[tuple[Cond, ...]]) -> list[tuple[Cond, ...]]:
        """The paths (as conditions) that fall out of ``stmts``, starting from ``conds``."""
        live = conds
        for stmt in stmts:
            if not live or self.found is not None:
                return []
            live = self.statement(stmt, live)[:MAX_PATHS]
        return live

    def statement(self, stmt: ts.Node, live: list[tuple[Cond, ...]]) -> list[tuple[Cond, ...]]:
        kind = stmt.type
        if kind in COMMENT_TYPES or not stmt.is_named:
            return live
        if kind in BLOCKS:
            return self.run(list(stmt.named_children), live)
        if kind in THROWS or (kind == "expression_statement" and stmt.named_child_count
                              and stmt.named_children[0].type in THROWS):
            return []
        if kind == "return_statement" or (kind == "jump_expression" and text(stmt).startswith(
            "return"
        )):
            self.returns(stmt, live)
            return []
        if kind == "if_statement":
            return self.branch(stmt, live)
        if kind in ("switch_statement", "switch_expression"):
            return self.switch(stmt, live)
        if kind == "try_statement":
            return self.try_(stmt, live)
        if self.mode == "void" and any(
            n.type in CALLS and CHECK_CALL.search(_call_name(n)) for n in [stmt, *descendants(stmt)]
        ):
            return []  # delegated: the call throws when the chain is not trusted
        return live

    def returns(self, stmt: ts.Node, live: list[tuple[Cond, ...]]) -> None:
        values = [c for c in stmt.named_children if c.type not in COMMENT_TYPES]
        if self.mode == "void":
            if not values:
                self.accept(stmt, live, "")
            return
        if values:
            why = true_ish(values[0])
            if why is not None and not verifies(values[0], True):
                self.accept(stmt, live, why)

    def accept(self, node: ts.Node, live: list[tuple[Cond, ...]], why: str) -> None:
        for conds in live:
            if not any(c.node is not None and verifies(c.node, c.positive) for c in conds):
                self.found = Accept(node, conds, why)
                return

    def branch(self, stmt: ts.Node, live: list[tuple[Cond, ...]]) -> list[tuple[Cond, ...]]:
        cond = stmt.child_by_field_name("condition")
        then = stmt.child_by_field_name("consequence")
        other = stmt.child_by_field_name("alternative")
        if cond is None or then is None:
            return live
        yes = self.statement(then, [(*c, Cond(cond, True)) for c in live])
        no_live = [(*c, Cond(cond, False)) for c in live]
        if other is not None:
            if other.type == "else_clause" and other.named_child_count:
                other = other.named_children[-1]
            no = self.statement(other, no_live)
        else:
            no = no_live
        return yes + no

    def switch(self, stmt: ts.Node, live: list[tuple[Cond, ...]]) -> list[tuple[Cond, ...]]:
        value = stmt.child_by_field_name("value") or stmt.child_by_field_name("condition")
        body = stmt.child_by_field_name("body")
        if body is None:
            return live
        out: list[tuple[Cond, ...]] = []
        for section in body.named_children:
            labels = [c for c in section.named_children if "label" in c.type
                      or "pattern" in c.type]
            body_stmts = [c for c in section.named_children if c not in labels]
            label = " | ".join(text(lbl) for lbl in labels) or "default"
            cond = Cond(None, True, f"{text(value)} is {label}")
            out += self.run(body_stmts, [(*c, cond) for c in live])
        return out + live

    def try_(self, stmt: ts.Node, live: list[tuple[Cond, ...]]) -> list[tuple[Cond, ...]]:
        out: list[tuple[Cond, ...]] = []
        for child in stmt.named_children:
            if child.type in BLOCKS:
                out += self.statement(child, live)
            elif child.type == "catch_clause":
                caught = Cond(None, True, f"it catches {_caught(child)}")
                body = child.child_by_field_name("body") or child.named_children[-1]
                out += self.statement(body, [(*c, caught) for c in live])
            elif child.type == "finally_clause":
                out = self.run(list(child.named_children), out)
        return out


def _caught(clause: ts.Node) -> str:
    for child in clause.named_children:
        if "catch" in child.type and child.type != "catch_clause":
            return " ".join(text(child).split())[:60]
    return "an exception"


def accepting_path(body: ts.Node, mode: str) -> Accept | None:
    """The first path through ``body`` that accepts without verification, or None.

    ``body`` is a block (statements) or, for an expression-bodied lambda, an expression.
    """
    flow = Flow(mode)
    if body.type in BLOCKS or body.type.endswith("_statement"):
        rest = flow.statement(body, [()])
        if mode == "void" and rest and flow.found is None:
            flow.accept(body, rest, "")
        return flow.found
    if mode == "bool":
        why = true_ish(body)
        if why is not None and not verifies(body, True):
            return Accept(body, (), why)
    return None


# --- constant folding -------------------------------------------------------------------

STRINGS = frozenset({"string_literal", "string", "interpreted_string_literal",
                     "raw_string_literal", "line_string_literal", "encapsed_string"})
_FORMAT = re.compile(r"%[sd]|\{\d*\}")


def constants(root: ts.Node) -> dict[str, ts.Node]:
    """Names declared once in the file with an initial value: name -> value node."""
    seen: dict[str, ts.Node | None] = {}
    for n in descendants(root):
        if n.type not in ("variable_declarator", "property_declaration"):
            continue
        name = n.child_by_field_name("name")
        value = n.child_by_field_name("value")
        if n.type == "property_declaration":
            decl = next((c for c in n.named_children if c.type == "variable_declaration"), None)
            name = decl.named_children[0] if decl and decl.named_child_count else None
            value = n.named_children[-1] if n.named_child_count > 1 else None
        if name is None or value is None:
            continue
        key = text(name)
        seen[key] = None if key in seen else value
    return {k: v for k, v in seen.items() if v is not None}


def fold(node: ts.Node | None, env: dict[str, ts.Node], depth: int = 0) -> str:
    """The string value of ``node`` with :data:`UNKNOWN` for parts that are not constant."""
    if node is None or depth > 20:
        return UNKNOWN
    node = _unwrap(node)
    kind = node.type
    if kind in STRINGS:
        parts: list[str] = []
        for child in node.named_children:
            if child.type in ("string_fragment", "string_content", "string_literal_content",
                              "escape_sequence", "string_value"):
                parts.append(text(child))
            elif child.type not in COMMENT_TYPES:
                parts.append(UNKNOWN)  # interpolation: "mail.$protocol.ssl.trust"
        if not node.named_child_count:
            return text(node).strip("\"'`")
        return "".join(parts)
    if kind in ("binary_expression", "additive_expression") and _operator(node) == "+":
        named = [c for c in node.named_children if c.type not in COMMENT_TYPES]
        left = node.child_by_field_name("left") or named[0]
        right = node.child_by_field_name("right") or named[-1]
        return fold(left, env, depth + 1) + fold(right, env, depth + 1)
    if kind in ("identifier", "simple_identifier") and text(node) in env:
        return fold(env[text(node)], env, depth + 1)
    if kind in CALLS and _call_name(node) == "format":
        args = [c for c in descendants(node) if c.parent is not None
                and c.parent.type in ("argument_list", "value_arguments", "value_argument")]
        strings = [a for a in args if a.type in STRINGS]
        if strings:
            return _FORMAT.sub(UNKNOWN, fold(strings[0], env, depth + 1))
    return UNKNOWN


def literal(node: ts.Node | None, env: dict[str, ts.Node]) -> str:
    """A value's literal text (``true``, ``*``, ``false``), following simple constants."""
    if node is None:
        return ""
    node = _unwrap(node)
    if node.type in STRINGS:
        return fold(node, env)
    t = compact(node)
    if node.type in ("identifier", "simple_identifier") and t in env:
        return literal(env[t], env)
    for wrapper in ("String.valueOf(", "Boolean.toString(", "Boolean.valueOf(",
                    "java.lang.Boolean.toString("):
        if t.startswith(wrapper) and t.endswith(")"):
            inner = t[len(wrapper):-1]
            return inner.strip('"')
    if t.endswith(".FALSE"):
        return "false"
    if t.endswith(".TRUE"):
        return "true"
    return t


def nodes_of(root: ts.Node, types: frozenset[str]) -> Iterator[ts.Node]:
    for n in descendants(root):
        if n.type in types:
            yield n
