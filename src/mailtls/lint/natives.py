"""Ruby and Rust mail library APIs, and expected values in JavaScript tests.

Ruby: ``Net::IMAP.new(host, port, usessl, certs, verify)`` with ``verify`` false (the
old positional signature), ``imap.starttls(certs, false)``, ``pop.enable_ssl(
OpenSSL::SSL::VERIFY_NONE)`` (Net::POP3's first argument is the verify mode).

Rust: openssl ``set_verify(SslVerifyMode::NONE)`` (also ``set_verify_callback`` and
``SslVerifyMode::empty()``), the host name switch ``verify_hostname(false)`` /
``set_verify_hostname(false)`` (true is the check, so false turns it off), and a rustls
``ServerCertVerifier`` installed through ``dangerous()`` whose ``verify_server_cert``
returns ``Ok`` on every path (no ``Err``, no ``?``, no call that verifies).

JavaScript: a knob inside the *expected* value of an assertion (``assert.deepEqual(opts,
{rejectUnauthorized: false})``, ``expect(x).toEqual({...})``) is a mention, not a use.
"""

from __future__ import annotations

import re

import tree_sitter as ts

from .base import Scan, is_false
from .flow import CHECK_CALL
from .treesitter import arguments, compact, descendants, facts, text
from .ts_rules import _MENTIONS, JS, SPECIAL, hit

VERIFY_NONE = re.compile(r"VERIFY_NONE$|^:?none$|^['\"]none['\"]$")


def _receiver(node: ts.Node) -> str:
    return text(node.child_by_field_name("receiver"))


def ruby_mail(lang: str, root: ts.Node, out: Scan) -> None:
    for fact in facts(lang, root):
        if fact.kind != "call":
            continue
        args = arguments(fact.value)
        plain = [a for a in args if a.type != "pair"]
        receiver = _receiver(fact.node)
        if fact.name == "new" and receiver.endswith("Net::IMAP") and len(plain) >= 5:
            if plain[2].type != "false" and is_false(text(plain[4])):
                hit(out, "lint.ruby.net_imap_no_verify", fact.node, call="Net::IMAP.new")
        elif fact.name == "starttls" and len(plain) >= 2 and is_false(text(plain[1])):
            if b"Net::IMAP" in (root.text or b""):
                hit(out, "lint.ruby.net_imap_no_verify", fact.node, call="starttls")
        elif fact.name == "enable_ssl" and plain and VERIFY_NONE.search(text(plain[0])):
            hit(out, "lint.ruby.verify_none", plain[0], key="enable_ssl")


RUST_VERIFY = frozenset({"set_verify", "set_verify_callback", "verify"})
HOSTNAME = frozenset({"verify_hostname", "set_verify_hostname"})


def rust_tls(lang: str, root: ts.Node, out: Scan) -> None:
    for fact in facts(lang, root):
        if fact.kind != "call":
            continue
        args = arguments(fact.value)
        if not args:
            continue
        first = compact(args[0])
        if fact.name in RUST_VERIFY and first.endswith(("SslVerifyMode::NONE",
                                                         "SslVerifyMode::empty()")):
            hit(out, "lint.rust.openssl_verify_none", fact.name_node, call=fact.name)
        elif fact.name in HOSTNAME and first == "false":
            hit(out, "lint.rust.openssl_no_hostname", fact.name_node, call=fact.name)
    if b"dangerous()" in (root.text or b""):
        _rustls_verifiers(root, out)


def _rustls_verifiers(root: ts.Node, out: Scan) -> None:
    for impl in descendants(root):
        if impl.type != "impl_item" or not text(impl.child_by_field_name("trait")).endswith(
            "ServerCertVerifier"
        ):
            continue
        for fn in descendants(impl):
            if fn.type != "function_item" or text(fn.child_by_field_name("name")) != (
                "verify_server_cert"
            ):
                continue
            body = fn.child_by_field_name("body")
            if body is not None and _always_ok(body):
                name = text(impl.child_by_field_name("type"))
                hit(out, "lint.rust.rustls_no_verify", fn.child_by_field_name("name") or fn,
                    name=name)


def _always_ok(body: ts.Node) -> bool:
    for n in descendants(body):
        if n.type == "try_expression" or (n.type == "identifier" and text(n) == "Err"):
            return False
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            name = text(fn).rsplit(".", 1)[-1].rsplit("::", 1)[-1]
            if CHECK_CALL.search(name):
                return False
    return True


#: Assertion calls whose arguments after the first are expected values.
ASSERTS = re.compile(r"(assert|t|chai\.assert|test)\.(deep|strict|notDeep|notStrict)?"
                     r"(Equal|equal|deepEqual|strictEqual|same|match|like|is)\w*$|assert$")
MATCHERS = re.compile(r"to(Equal|StrictEqual|MatchObject|Be|HaveProperty)|eql|equal|deep\.equal")


#: How far above a pair an assertion's argument list may be (nested objects/arrays).
EXPECTED_DEPTH = 12


def js_expected(node: ts.Node) -> bool:
    """True when ``node`` sits inside the expected value of an assertion."""
    child, parent = node, node.parent
    for _ in range(EXPECTED_DEPTH):  # node.parent costs the depth: never walk to the root
        if parent is None:
            return False
        if parent.type == "arguments" and parent.parent is not None:
            call = parent.parent
            fn = text(call.child_by_field_name("function"))
            position = [c.id for c in parent.named_children].index(child.id)
            if ASSERTS.search(fn) and position >= 1:
                return True
            if "." in fn and MATCHERS.fullmatch(fn.rsplit(".", 1)[-1]) and "expect" in fn:
                return True
            if "." in fn and MATCHERS.fullmatch(fn.rsplit(".", 1)[-1]) and ".should" in fn:
                return True
        if parent.type in ("statement_block", "program", "class_body"):
            return False
        child, parent = parent, parent.parent
    return False


SPECIAL.setdefault("ruby", []).append(ruby_mail)
SPECIAL.setdefault("rust", []).append(rust_tls)
_MENTIONS.update(dict.fromkeys(JS, js_expected))
