"""Ruby and Rust mail library APIs, and expected values in JavaScript tests.

Ruby: ``Net::IMAP.new(host, port, usessl, certs, verify)`` with ``verify`` false (the
old positional signature), ``imap.starttls(certs, false)``, ``pop.enable_ssl(
OpenSSL::SSL::VERIFY_NONE)`` (Net::POP3's first argument is the verify mode).

Rust: openssl ``set_verify(SslVerifyMode::NONE)`` (also ``set_verify_callback`` and
``SslVerifyMode::empty()``), the host name switch ``verify_hostname(false)`` /
``set_verify_hostname(false)`` (true is the check, so false turns it off), and a rustls
``ServerCertVerifier`` installed through ``dangerous()`` whose ``verify_server_cert``
returns ``Ok`` on every path (no ``Err``, no ``?``, no call that verifies). Calls inside
``(``/``[`` macro arguments (``p!(builder().danger_accept_invalid_certs(true).build())``),
which tree-sitter keeps as tokens, are read by parsing the text again with the macro's
``!`` blanked out.

JavaScript: a knob inside the *expected* value of an assertion (``assert.deepEqual(opts,
{rejectUnauthorized: false})``, ``expect(x).toEqual({...})``) is a mention, not a use.
"""

from __future__ import annotations

import re

import tree_sitter as ts

from .base import Scan, is_false
from .flow import CHECK_CALL
from .treesitter import arguments, compact, descendants, facts, parse, text
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


#: Bytes that make a macro's arguments worth reading as code.
RUST_TRIGGERS = (b"accept_invalid_", b"SslVerifyMode", b"verify_hostname")
#: Nested macros are opened one level per round: ``p!(t!(builder()...))``.
MACRO_ROUNDS = 4


def rust_macros(lang: str, root: ts.Node, out: Scan) -> None:
    """Calls inside ``p!(...)``/``vec![...]`` arguments, which tree-sitter keeps as tokens.

    ``p!(TlsConnector::builder().danger_accept_invalid_certs(true).build())`` hides the
    call from every fact. Each such macro's ``!`` becomes a blank (``p (...)`` is a call,
    same length, same positions), the text is parsed again, and hits on the macros' lines
    are added.
    """
    data = root.text or b""
    spans: list[tuple[int, int]] = []
    for _ in range(MACRO_ROUNDS):
        bangs = _macro_bangs(lang, data)
        if not bangs:
            break
        buf = bytearray(data)
        for bang, start, end in bangs:
            buf[bang] = ord(" ")
            spans.append((start, end))
        data = bytes(buf)
    if not spans:
        return
    from .ts_rules import scan_tree  # here: ts_rules imports this module

    seen = {(h.rule, h.line) for h in out.hits}
    for h in scan_tree(lang, data).hits:
        if (h.rule, h.line) not in seen and any(a <= h.line <= b for a, b in spans):
            out.hits.append(h)


def _macro_bangs(lang: str, data: bytes) -> list[tuple[int, int, int]]:
    """(byte of the ``!``, first line, last line) of each ``(``/``[`` macro with a trigger."""
    found: list[tuple[int, int, int]] = []
    for node in descendants(parse(lang, data).root_node):
        if node.type != "macro_invocation" or not node.named_children:
            continue
        args = node.named_children[-1]
        if args.type != "token_tree" or not text(args).startswith(("(", "[")):
            continue
        if not any(t in (args.text or b"") for t in RUST_TRIGGERS):
            continue
        bang = next((c for c in node.children if c.type == "!"), None)
        if bang is not None:
            found.append((bang.start_byte, node.start_point[0] + 1, node.end_point[0] + 1))
    return found


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
SPECIAL.setdefault("rust", []).extend([rust_tls, rust_macros])
_MENTIONS.update(dict.fromkeys(JS, js_expected))
