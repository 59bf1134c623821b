"""C# rules that need data flow: certificate validation callbacks (MailKit/MimeKit,
System.Net.Mail through ``ServicePointManager``, ``SslStream``, ``HttpClientHandler``).

A callback is a finding when some path through it returns true without the
verification having succeeded (:func:`mailtls.lint.flow.accepting_path`): ``=> true``, a
named method that logs and returns true, ``errors == RemoteCertificateNameMismatch ||
errors == None``, a subject substring test, ``callback ?? ((s, c, h, e) => true)``. The
finding names the path. A callback arrives by assignment (``...ValidationCallback =``,
``+=``, object initializers), by ``new RemoteCertificateValidationCallback(M)``, or as
the third argument of ``new SslStream(stream, leaveOpen, callback)``.

``SecureSocketOptions.StartTlsWhenAvailable`` is a finding only where the value is used
(an argument, an assignment, a return), not in a ``case`` label or a comparison.
"""

from __future__ import annotations

import re

import tree_sitter as ts

from .base import Scan
from .flow import Accept, accepting_path
from .treesitter import arguments, descendants, facts, text
from .ts_rules import SPECIAL, hit

CALLBACKS = re.compile(
    r"(Server(Certificate|CertificateCustom)|RemoteCertificate|UserCertificate)ValidationCallback"
)
ACCEPT_ANY = "DangerousAcceptAnyServerCertificateValidator"
LAMBDAS = frozenset({"lambda_expression", "anonymous_method_expression"})
#: Constructors whose argument at this position is a certificate validation callback.
POSITIONAL = {"SslStream": 2, "RemoteCertificateValidationCallback": 0}


def _methods(root: ts.Node) -> dict[str, ts.Node]:
    """Method name -> body (a block or an ``=>`` expression), for methods named once."""
    out: dict[str, ts.Node | None] = {}
    for n in descendants(root):
        if n.type not in ("method_declaration", "local_function_statement"):
            continue
        name = text(n.child_by_field_name("name"))
        body = n.child_by_field_name("body")
        if body is None:
            body = next((c for c in n.named_children if c.type == "arrow_expression_clause"),
                        None)
        if body is not None and body.type == "arrow_expression_clause":
            body = body.named_children[-1] if body.named_child_count else None
        out[name] = None if name in out else body
    return {k: v for k, v in out.items() if v is not None}


def _lambda_body(node: ts.Node) -> ts.Node | None:
    body = node.child_by_field_name("body")
    if body is None:
        body = next((c for c in node.named_children if c.type == "block"), None)
    return body


def callback_path(value: ts.Node, methods: dict[str, ts.Node], depth: int = 0) -> Accept | None:
    """An accepting path of the callback ``value`` (lambda, method group, ``a ?? b``...)."""
    if depth > 8:
        return None
    kind = value.type
    if kind in ("parenthesized_expression", "argument") and value.named_child_count:
        return callback_path(value.named_children[-1], methods, depth + 1)
    if kind in LAMBDAS:
        body = _lambda_body(value)
        return accepting_path(body, "bool") if body is not None else None
    if kind in ("binary_expression", "conditional_expression"):  # cb ?? (...) => true
        parts = value.named_children[1:] if kind == "conditional_expression" else [
            value.child_by_field_name("left"), value.child_by_field_name("right")]
        for part in parts:
            found = callback_path(part, methods, depth + 1) if part is not None else None
            if found is not None:
                return found
        return None
    if kind == "object_creation_expression":
        args = arguments(value.child_by_field_name("arguments"))
        return callback_path(args[0], methods, depth + 1) if args else None
    name = text(value).split(".")[-1]
    if name == ACCEPT_ANY:
        return Accept(value, (), "true")
    body = methods.get(name)
    return accepting_path(body, "bool") if body is not None else None


def csharp_callback(lang: str, root: ts.Node, out: Scan) -> None:
    """A validation callback with a path that returns true without verification."""
    methods = _methods(root)
    seen: set[int] = set()
    for fact in facts(lang, root):
        value: ts.Node | None = None
        if fact.kind == "assign" and CALLBACKS.fullmatch(fact.name):
            value = fact.value
        elif fact.kind == "call" and fact.name in POSITIONAL:
            args = arguments(fact.value)
            if len(args) > POSITIONAL[fact.name]:
                value = args[POSITIONAL[fact.name]]
        if value is None or value.id in seen:
            continue
        seen.add(value.id)
        found = callback_path(value, methods)
        if found is not None:
            where = fact.name if fact.kind == "assign" else f"new {fact.name}(...)"
            hit(out, "lint.csharp.cert_callback_true", fact.node, key=where,
                path=found.describe("returns"))
    for node in descendants(root):  # new X(...) with a callback: not a call fact in C#
        if node.type == "object_creation_expression" and node.id not in seen:
            _constructor(node, methods, out)


def _constructor(node: ts.Node, methods: dict[str, ts.Node], out: Scan) -> None:
    name = text(node.child_by_field_name("type")).split(".")[-1]
    position = POSITIONAL.get(name)
    if position is None:
        return
    args = arguments(node.child_by_field_name("arguments"))
    if len(args) <= position or node.parent is None:
        return
    if node.parent.type == "argument_list" or (name == "RemoteCertificateValidationCallback" and (
        node.parent.type in ("assignment_expression", "argument")
    )):
        return  # reached through the enclosing assignment or constructor
    found = callback_path(args[position], methods)
    if found is not None:
        hit(out, "lint.csharp.cert_callback_true", node, key=f"new {name}(...)",
            path=found.describe("returns"))


#: Where a mention of a value is not a use of it.
MENTION_PARENTS = frozenset({"constant_pattern", "case_switch_label", "switch_expression_arm",
                             "case_pattern_switch_label", "relational_pattern"})


def starttls_when_available(lang: str, root: ts.Node, out: Scan) -> None:
    """``SecureSocketOptions.StartTlsWhenAvailable`` passed, assigned or returned."""
    for node in descendants(root):
        if node.type != "member_access_expression" or not text(node).endswith(
            "SecureSocketOptions.StartTlsWhenAvailable"
        ):
            continue
        parent = node.parent
        if parent is None or parent.type in MENTION_PARENTS:
            continue
        if parent.type == "binary_expression" and text(
            parent.child_by_field_name("operator")
        ) in ("==", "!="):
            continue
        if parent.type == "argument" and _in_assertion(parent):
            continue
        hit(out, "lint.csharp.starttls_when_available", node)


def _in_assertion(argument: ts.Node) -> bool:
    call = argument.parent.parent if argument.parent is not None else None
    return call is not None and bool(re.match(r"(Assert|Should|Expect)\b", text(call)))


SPECIAL["csharp"] = [csharp_callback, starttls_when_available]
