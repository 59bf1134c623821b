"""Java and Kotlin mail library APIs that need folding or data flow.

- Jakarta Mail / JavaMail properties whose names are built at run time:
  ``props.put("mail." + protocol + ".ssl.trust", "*")``, ``String.format("mail.%s...")``,
  Kotlin ``"mail.$protocol.ssl.checkserveridentity"``; names and values are folded through
  simple constants (:func:`mailtls.lint.flow.fold`);
- Simple Java Mail builders: ``.trustingAllHosts(true)``, ``.trustingSSLHosts("*")``,
  ``.verifyingServerIdentity(false)``;
- Apache Commons Net: ``setTrustManager(TrustManagerUtils.getAcceptAllTrustManager())``
  (or ``getValidateServerCertificateTrustManager()``, which checks the dates only), and
  ``SMTPSClient``/``IMAPSClient``/``POP3SClient`` built in a file that never turns on
  endpoint checking or sets a host name verifier (Commons Net checks no host name by
  default);
- trust managers and host name verifiers by data flow: a path through
  ``checkServerTrusted`` that returns normally without a check (a throw guarded by a test
  flag, a subject substring test, a swallowed exception), a ``verify(String,
  SSLSession)`` that logs and returns true.
"""

from __future__ import annotations

import re

import tree_sitter as ts

from .base import Scan, is_false, is_true
from .flow import UNKNOWN, accepting_path, constants, fold, literal
from .treesitter import arguments, descendants, facts, text
from .ts_rules import SPECIAL, hit

_PROTO = r"(smtps?|imaps?|pop3s?|\x00)"
TRUST_KEY = re.compile(rf"(mail\.{_PROTO}|\x00)\.ssl\.trust")
IDENTITY_KEY = re.compile(rf"(mail\.{_PROTO}|\x00)\.ssl\.checkserveridentity")
PUTS = frozenset({"put", "setProperty", "set", "putIfAbsent"})


def _shown(key: str) -> str:
    return key.replace(UNKNOWN, "<...>")


def mail_properties(lang: str, root: ts.Node, out: Scan) -> None:
    """``put(<name folding to mail.*.ssl.trust>, "*")`` and ``...checkserveridentity``."""
    env: dict[str, ts.Node] | None = None
    for fact in facts(lang, root):
        args = arguments(fact.value) if fact.kind == "call" else []
        if not (fact.name in PUTS and len(args) == 2) and not (
            fact.name in GETS and len(args) >= 3  # (props, name, default)
        ):
            continue
        if env is None:
            env = constants(root)
        if fact.name in GETS:
            _read_with_default(args, env, out)
            continue
        key = fold(args[0], env)
        if "ssl." not in key:
            continue
        value = literal(args[1], env)
        hosts = fold(args[1], env)
        if TRUST_KEY.fullmatch(key) and value == "*":
            hit(out, "lint.java.mail_ssl_trust_all", fact.name_node, key=_shown(key))
        elif TRUST_KEY.fullmatch(key) and hosts.strip() and UNKNOWN not in hosts:
            hit(out, "lint.java.mail_ssl_trust_hosts", fact.name_node, key=_shown(key),
                hosts=hosts.strip())
        elif IDENTITY_KEY.fullmatch(key) and is_false(value):
            hit(out, "lint.java.mail_no_identity_check", fact.name_node, key=_shown(key))


#: JavaMail's property readers: ``PropUtil.getBooleanProperty(props, name, default)``.
GETS = frozenset({"getBooleanProperty", "getBooleanSessionProperty"})


def _read_with_default(args: list[ts.Node], env: dict[str, ts.Node], out: Scan) -> None:
    """``getBooleanProperty(props, prefix + ".ssl.checkserveridentity", false)``: the
    library's default when the user sets nothing is no host name check."""
    key = fold(args[-2], env)
    if IDENTITY_KEY.fullmatch(key) and is_false(literal(args[-1], env)):
        hit(out, "lint.java.mail_identity_default_off", args[-2], key=_shown(key))


def simple_java_mail(lang: str, root: ts.Node, out: Scan) -> None:
    """Simple Java Mail's ``MailerBuilder`` switches."""
    for fact in facts(lang, root):
        if fact.kind != "call":
            continue
        args = [text(a) for a in arguments(fact.value)]
        if (fact.name == "trustingAllHosts" and args and is_true(args[0])) or (
            fact.name == "trustingSSLHosts" and '"*"' in args
        ):
            hit(out, "lint.java.simplejavamail_trust_all", fact.name_node, call=fact.name)
        elif fact.name == "verifyingServerIdentity" and args and is_false(args[0]):
            hit(out, "lint.java.simplejavamail_no_identity_check", fact.name_node)


NET_CLIENTS = frozenset({"SMTPSClient", "IMAPSClient", "POP3SClient", "AuthenticatingSMTPClient",
                         "AuthenticatingIMAPClient"})
WEAK_MANAGERS = frozenset({"getAcceptAllTrustManager", "getValidateServerCertificateTrustManager"})


def commons_net(lang: str, root: ts.Node, out: Scan) -> None:
    """Apache Commons Net: a trust manager that checks nothing; no host name check."""
    source = root.text or b""
    if b"org.apache.commons.net" not in source:
        return
    calls = [f for f in facts(lang, root) if f.kind == "call"]
    for f in calls:
        if f.name in WEAK_MANAGERS:
            hit(out, "lint.java.commons_net_accept_all", f.name_node, call=f.name)
    checks = any(
        (f.name == "setHostnameVerifier" and "null" not in text(f.value))
        or (f.name == "setEndpointCheckingEnabled" and is_true(text(f.value).strip("()")))
        for f in calls
    )
    if checks:
        return
    for n in descendants(root):
        if n.type == "object_creation_expression":
            name = text(n.child_by_field_name("type")).split(".")[-1]
            if name in NET_CLIENTS:
                hit(out, "lint.java.commons_net_no_endpoint_check", n, name=name)


def trust_managers(lang: str, root: ts.Node, out: Scan) -> None:
    """``checkServerTrusted`` and ``verify(String, SSLSession)`` with an accepting path."""
    from .ts_special import OWNERS, _owner_name, functions

    for name, params, body in functions(lang, root):
        if text(name) == "checkServerTrusted":
            found = accepting_path(body, "void")
            if found is not None:
                owner = _owner_name(_ancestor(name, OWNERS))
                path = found.describe("returns normally")
                hit(out, "lint.java.trust_all_manager", name, name=owner, path=path)
        elif text(name) == "verify" and "SSLSession" in text(params):
            found = accepting_path(body, "bool")
            if found is not None and not found.conds:
                hit(out, "lint.java.hostname_verifier_true", name)


def _ancestor(node: ts.Node, types: frozenset[str]) -> ts.Node | None:
    parent = node.parent
    while parent is not None and parent.type not in types:
        parent = parent.parent
    return parent


SPECIAL.setdefault("java", []).extend(
    [mail_properties, simple_java_mail, commons_net, trust_managers]
)
SPECIAL.setdefault("kotlin", []).extend([mail_properties, simple_java_mail])
