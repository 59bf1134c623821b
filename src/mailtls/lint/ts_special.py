"""Rules that need structure, one small function each, registered in ``ts_rules.SPECIAL``.

- a ``checkServerTrusted`` that never throws (Java, Kotlin);
- a host name verifier or certificate callback that returns ``true`` (Java, Kotlin, C#);
- Commons Email turning TLS on without ``setSSLCheckServerIdentity(true)``;
- a Symfony/Laravel mailer DSN string with ``verify_peer=0`` (PHP).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter as ts

from .base import Scan, is_true
from .treesitter import ancestor, arguments, compact, descendants, facts, query, text
from .ts_rules import SPECIAL, hit

FUNCTIONS = {
    "java": "(method_declaration name: (identifier) @name parameters: (_) @params"
    " body: (block) @body)",
    "kotlin": "(function_declaration (identifier) @name (function_value_parameters) @params"
    " (function_body) @body)",
    "csharp": "(method_declaration name: (identifier) @name parameters: (_) @params"
    " [body: (_) @body (arrow_expression_clause) @body])",
}
THROWS = frozenset({"throw_statement", "throw_expression"})
DELEGATES = re.compile(r"check|verif|valid", re.IGNORECASE)
RETURNS_TRUE = re.compile(
    r"^(\{)?(return)?true;?(\})?$|^=>?true$|^\{.*->true\}$|^\(.*\)(->|=>)true$"
)


def functions(lang: str, root: ts.Node) -> Iterator[tuple[ts.Node, ts.Node, ts.Node]]:
    """(name, parameters, body) of every named function or method."""
    for _, caps in ts.QueryCursor(query(lang, FUNCTIONS[lang])).matches(root):
        yield caps["name"][0], caps["params"][0], caps["body"][0]


def returns_true(node: ts.Node) -> bool:
    """A lambda, anonymous method or body that does nothing but return ``true``."""
    if node.type in ("lambda_expression", "anonymous_method_expression", "lambda_literal"):
        body = node.child_by_field_name("body")
        if body is None:
            named = [c for c in node.named_children if c.type != "lambda_parameters"]
            body = named[-1] if named else node
        if node.type == "lambda_literal":
            return RETURNS_TRUE.match(compact(node)) is not None
        return RETURNS_TRUE.match(compact(body)) is not None
    return RETURNS_TRUE.match(compact(node)) is not None


def _never_throws(body: ts.Node) -> bool:
    for n in descendants(body):
        if n.type in THROWS:
            return False
        if n.type in ("method_invocation", "call_expression") and DELEGATES.search(
            text(n.child_by_field_name("name") or n)
        ):
            return False
    return True


def trust_manager(lang: str, root: ts.Node, out: Scan) -> None:
    for name, params, body in functions(lang, root):
        if text(name) == "checkServerTrusted" and _never_throws(body):
            owner = ancestor(name, OWNERS)
            hit(out, "lint.java.trust_all_manager", name, name=_owner_name(owner),
                path="returns normally on every path")
        elif text(name) == "verify" and "SSLSession" in text(params) and returns_true(body):
            hit(out, "lint.java.hostname_verifier_true", name)


OWNERS = frozenset({"class_declaration", "object_literal", "object_creation_expression",
                    "object_declaration"})


def _owner_name(owner: ts.Node | None) -> str:
    """The class name, or ``new X509TrustManager()`` / ``object : X509TrustManager``."""
    if owner is None:
        return "?"
    named = owner.child_by_field_name("name") or owner.child_by_field_name("type")
    if named is not None:
        return text(named)
    head = text(owner).split("{", 1)[0]
    return " ".join(head.split())[:60] or "?"


VERIFIER_CONTEXT = re.compile(r"(set)?(Default)?[Hh]ostnameVerifier")
_LAMBDAS = frozenset({"lambda_expression", "lambda_literal", "annotated_lambda"})


def hostname_lambda(lang: str, root: ts.Node, out: Scan) -> None:
    """``setHostnameVerifier((h, s) -> true)``, ``HostnameVerifier { _, _ -> true }``."""
    for fact in facts(lang, root):
        if not VERIFIER_CONTEXT.fullmatch(fact.name):
            continue
        candidates: list[ts.Node] = []
        if fact.kind == "call":
            candidates = arguments(fact.value)
            candidates += [c for c in fact.node.named_children if c.type == "annotated_lambda"]
        elif fact.value is not None:
            candidates = [fact.value]
        for cand in candidates:
            if cand.type == "annotated_lambda" and cand.named_child_count:
                cand = cand.named_children[0]
            if cand.type in _LAMBDAS and returns_true(cand):
                hit(out, "lint.java.hostname_verifier_true", cand)
    if lang == "java":
        q = query(lang, "(local_variable_declaration type: (type_identifier) @t"
                  " declarator: (variable_declarator value: (lambda_expression) @fn))")
        for _, caps in ts.QueryCursor(q).matches(root):
            if text(caps["t"][0]) == "HostnameVerifier" and returns_true(caps["fn"][0]):
                hit(out, "lint.java.hostname_verifier_true", caps["fn"][0])
    else:
        q = query(lang, "(call_expression [(identifier) @t (navigation_expression (identifier)"
                  " @t .)] (annotated_lambda (lambda_literal) @fn))")
        for _, caps in ts.QueryCursor(q).matches(root):
            name = text(caps["t"][0])
            if VERIFIER_CONTEXT.fullmatch(name) and returns_true(caps["fn"][0]):
                hit(out, "lint.java.hostname_verifier_true", caps["fn"][0])


TLS_ON = frozenset({"setSSLOnConnect", "setStartTLSEnabled", "setStartTLSRequired"})
_METHOD = frozenset({"method_declaration", "constructor_declaration", "function_declaration"})


def commons_email(lang: str, root: ts.Node, out: Scan) -> None:
    """TLS switched on in a method that never calls ``setSSLCheckServerIdentity(true)``."""
    if b"org.apache.commons.mail" not in (root.text or b""):
        return
    calls = [f for f in facts(lang, root) if f.kind == "call"]
    checked = {
        (ancestor(f.node, _METHOD) or root).id
        for f in calls
        if f.name == "setSSLCheckServerIdentity"
        and any(is_true(text(a)) for a in arguments(f.value))
    }
    for f in calls:
        args = arguments(f.value)
        on = f.name in TLS_ON and bool(args) and is_true(text(args[0]))
        if on and (ancestor(f.node, _METHOD) or root).id not in checked:
            hit(out, "lint.java.commons_email_no_identity_check", f.node)


DSN = re.compile(r"^[a-z0-9+]+://\S*[?&]verify_peer=(0|false)\b", re.IGNORECASE)
PHP_STRINGS = "[(string) (encapsed_string)] @s"


def php_dsn(lang: str, root: ts.Node, out: Scan) -> None:
    for _, caps in ts.QueryCursor(query(lang, PHP_STRINGS)).matches(root):
        node = caps["s"][0]
        if DSN.match(text(node).strip("'\"")):
            hit(out, "lint.php.mailer_dsn_verify_peer", node)


SPECIAL.update(
    {
        "java": [hostname_lambda, commons_email],
        "kotlin": [trust_manager, hostname_lambda],
        "php": [php_dsn],
    }
)

from . import csharp, java, natives  # noqa: E402, F401  (register their rules, after the above)
