"""Rules for the tree-sitter languages, as data over the facts of :mod:`.treesitter`.

A :class:`Rule` says: a fact of this kind, whose name matches, whose value (or argument)
satisfies a predicate, is a finding. A :class:`QueryRule` is a raw tree-sitter query
whose ``@hit`` capture is the finding. Rules that need structure (a method that never
throws, a callback that returns true) are functions in :mod:`.ts_special`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter as ts

from .base import Scan, is_false, is_true, strip_quotes
from .treesitter import Fact, arguments, compact, facts, parse, query, text

JVM = frozenset({"java", "kotlin"})
JS = frozenset({"javascript", "typescript", "tsx"})
PHP = frozenset({"php"})
RUBY = frozenset({"ruby"})

MAIL_TRUST = re.compile(r"mail\.(smtps?|imaps?|pop3s?)\.ssl\.trust")
NODE_TLS = "NODE_TLS_REJECT_UNAUTHORIZED"
CURL_VERIFY = re.compile(r"CURLOPT_SSL_VERIFY(PEER|HOST)")
MAIL_IDENTITY = re.compile(r"mail\.(smtps?|imaps?|pop3s?)\.ssl\.checkserveridentity")


def value_of(node: ts.Node | None) -> str:
    """A literal's normalized value: strings unquoted, symbols without ``:``, else compact text."""
    if node is None:
        return ""
    raw = compact(node) if node.type not in ("string", "string_literal") else text(node)
    value = strip_quotes(raw)
    if node.type == "simple_symbol":
        value = value.lstrip(":")
    if value.endswith(".FALSE"):  # Boolean.FALSE
        return "false"
    if value.endswith(".TRUE"):
        return "true"
    return value


def key_of(name: str) -> str:
    """``'verify_peer'`` / ``:verify_peer`` / ``verify_peer:`` / ``"[mail.x]"`` -> the bare key."""
    return strip_quotes(name).strip(":[]")


def _star(v: str) -> bool:
    return v == "*"


def _js_false(v: str) -> bool:
    return v in ("false", "!1")  # Node checks rejectUnauthorized !== false


def _js_true(v: str) -> bool:
    return v in ("true", "!0")


def _zero(v: str) -> bool:
    return v == "0"


def _verify_none(v: str) -> bool:
    return v.lower() == "none" or v.endswith("VERIFY_NONE")


@dataclass(frozen=True)
class Rule:
    """A finding for a fact: kind, name pattern, value predicate (for calls: at ``arg``)."""

    id: str
    langs: frozenset[str]
    kind: str  # call, pair, assign
    name: re.Pattern[str]
    value: Callable[[str], bool]
    arg: int = 0
    key_arg: int | None = None  # call: the argument that names the knob ...
    key: re.Pattern[str] | None = None  # ... and what it must match

    def check(self, fact: Fact) -> dict[str, str] | None:
        """The finding's params when the fact matches, else None."""
        if fact.kind != self.kind:
            return None
        name = key_of(fact.name)
        if not self.name.fullmatch(name):
            return None
        if self.kind != "call":
            return {"key": name} if self.value(value_of(fact.value)) else None
        args = arguments(fact.value)
        if len(args) <= max(self.arg, self.key_arg or 0):
            return None
        key = name
        if self.key_arg is not None and self.key is not None:
            key = key_of(value_of(args[self.key_arg]))
            if not self.key.fullmatch(key):
                return None
        return {"key": key} if self.value(value_of(args[self.arg])) else None


def _r(
    rid: str, langs: frozenset[str], kind: str, name: str, value: Callable[[str], bool]
) -> Rule:
    return Rule(rid, langs, kind, re.compile(name), value)


def _call_key(
    rid: str, langs: frozenset[str], name: str, key: re.Pattern[str], value: Callable[[str], bool],
    key_arg: int = 0, arg: int = 1,
) -> Rule:
    return Rule(rid, langs, "call", re.compile(name), value, arg, key_arg, key)


RULES: tuple[Rule, ...] = (
    # --- Java / Kotlin: Jakarta Mail properties and MailSSLSocketFactory ---
    _r("lint.java.mail_ssl_trust_all", JVM, "pair", MAIL_TRUST.pattern, _star),
    _r("lint.java.mail_no_identity_check", JVM, "pair", MAIL_IDENTITY.pattern, is_false),
    _r("lint.java.mail_trust_all_hosts", JVM, "call", r"setTrustAllHosts", is_true),
    _r("lint.java.mail_trust_all_hosts", JVM, "assign", r"isTrustAllHosts|trustAllHosts", is_true),
    _r(
        "lint.java.commons_email_no_identity_check", JVM, "call", r"setSSLCheckServerIdentity",
        is_false,
    ),
    # --- JavaScript / TypeScript ---
    _r("lint.js.reject_unauthorized_false", JS, "pair", r"rejectUnauthorized", _js_false),
    _r("lint.js.reject_unauthorized_false", JS, "assign", r"rejectUnauthorized", _js_false),
    _r("lint.js.nodemailer_ignore_tls", JS, "pair", r"ignoreTLS", _js_true),
    _r("lint.js.nodemailer_ignore_tls", JS, "assign", r"ignoreTLS", _js_true),
    _r("lint.js.node_tls_reject_unauthorized", JS, "assign", NODE_TLS, _zero),
    _r("lint.js.node_tls_reject_unauthorized", JS, "pair", NODE_TLS, _zero),
    # --- PHP ---
    _r("lint.php.verify_peer_off", PHP, "pair", r"verify_peer(_name)?", is_false),
    _r("lint.php.allow_self_signed", PHP, "pair", r"allow_self_signed", is_true),
    _r("lint.php.smtp_auto_tls_off", PHP, "assign", r"SMTPAutoTLS", is_false),
    _call_key(
        "lint.php.curl_verify_off", PHP, r"curl_setopt", CURL_VERIFY, is_false, key_arg=1, arg=2,
    ),
    _r("lint.php.curl_verify_off", PHP, "pair", r"CURLOPT_SSL_VERIFY(PEER|HOST)", is_false),
    # --- Go ---
    _r("lint.go.insecure_skip_verify", frozenset({"go"}), "pair", r"InsecureSkipVerify", is_true),
    _r("lint.go.insecure_skip_verify", frozenset({"go"}), "assign", r"InsecureSkipVerify", is_true),
    # --- C# ---
    _r(
        "lint.csharp.no_revocation_check", frozenset({"csharp"}), "assign",
        r"CheckCertificateRevocation", is_false,
    ),
    # --- Ruby ---
    _r("lint.ruby.verify_none", RUBY, "pair", r"(openssl_)?verify_mode", _verify_none),
    _r(
        "lint.ruby.verify_none", frozenset({"ruby"}), "assign", r"(openssl_)?verify_mode",
        _verify_none,
    ),
    # --- Rust ---
    _r(
        "lint.rust.accept_invalid_certs", frozenset({"rust"}), "call",
        r"danger(ous)?_accept_invalid_certs", is_true,
    ),
    _r(
        "lint.rust.accept_invalid_hostnames", frozenset({"rust"}), "call",
        r"danger(ous)?_accept_invalid_hostnames", is_true,
    ),
)


@dataclass(frozen=True)
class QueryRule:
    """A tree-sitter query; each ``@hit`` capture is a finding."""

    id: str
    langs: frozenset[str]
    source: str


QUERY_RULES: tuple[QueryRule, ...] = (
    QueryRule(
        "lint.java.hostname_verifier_true",
        frozenset({"java"}),
        # top-level patterns: a predicate inside an alternation [...] is not scoped to it
        """(field_access object: (identifier) @hit (#eq? @hit "NoopHostnameVerifier"))
           (object_creation_expression type: (type_identifier) @hit
             (#eq? @hit "NoopHostnameVerifier"))
           (field_access field: (identifier) @hit (#eq? @hit "ALLOW_ALL_HOSTNAME_VERIFIER"))""",
    ),
)

_BY_LANG: dict[str, list[Rule]] = {}
for _rule in RULES:
    for _lang in _rule.langs:
        _BY_LANG.setdefault(_lang, []).append(_rule)

Special = Callable[[str, ts.Node, Scan], None]
SPECIAL: dict[str, list[Special]] = {}  # filled by .ts_special
#: Language -> test for a fact that only mentions a value (an assertion's expected value).
_MENTIONS: dict[str, Callable[[ts.Node], bool]] = {}  # filled by .natives


def hit(out: Scan, rule: str, node: ts.Node, **params: str) -> None:
    """A hit at the node's start; the column is in UTF-8 bytes (the engine converts it)."""
    row, col = node.start_point
    out.hit(rule, row + 1, col + 1, **params)


def scan_tree(lang: str, data: bytes) -> Scan:
    """Every rule of ``lang`` over the parsed ``data``."""
    root = parse(lang, data).root_node
    out = Scan()
    if root.has_error:
        line = _error_line(root)
        out.note("lint.file_partial", "syntax errors; scanned what parsed", line)
    rules = _BY_LANG.get(lang, [])
    mention = _MENTIONS.get(lang)
    for fact in facts(lang, root):
        for rule in rules:
            params = rule.check(fact)
            if params is not None and not (mention is not None and mention(fact.node)):
                hit(out, rule.id, fact.name_node if fact.kind == "call" else fact.node, **params)
    for qrule in QUERY_RULES:
        if lang in qrule.langs:
            for _, caps in ts.QueryCursor(query(lang, qrule.source)).matches(root):
                hit(out, qrule.id, caps["hit"][0])
    for special in SPECIAL.get(lang, []):
        special(lang, root, out)
    return out


def _error_line(root: ts.Node) -> int:
    """The line of the first syntax error: follow the children that contain one."""
    node = root
    while True:
        if node.is_error or node.is_missing:
            return node.start_point[0] + 1
        inner = next((c for c in node.children if c.has_error or c.is_missing), None)
        if inner is None:
            return node.start_point[0] + 1
        node = inner
