"""Key/value rules shared by every configuration format (properties, YAML, .env, JSON,
INI/TOML, Dockerfile ENV, systemd Environment=): a key is read with the chain of keys or
the section it sits in. No parser here, so that a JSON or INI file does not load YAML.
"""

from __future__ import annotations

import re

from .base import Hit, Scan, is_false, is_true, strip_quotes

MAIL_TRUST = re.compile(r"(^|\.)mail\.(smtps?|imaps?|pop3s?)\.ssl\.trust$")
MAIL_IDENTITY = re.compile(r"(^|\.)mail\.(smtps?|imaps?|pop3s?)\.ssl\.checkserveridentity$")
VERIFY_PEER = re.compile(r"(^|_)VERIFY_PEER(_NAME)?$", re.IGNORECASE)
DSN_OFF = re.compile(r"^[a-z0-9+]+://\S*[?&]verify_peer=(0|false)\b", re.IGNORECASE)

#: Keys (lower case, without ``_ - .``) that turn verification off when set to false...
OFF_WHEN_FALSE = frozenset({
    "verifypeer", "verifypeername", "rejectunauthorized", "verifyssl", "sslverify",
    "tlsverify", "verifytls", "verifycert", "verifycerts", "verifycertificate",
    "verifycertificates", "validatecerts", "validatecert", "validatecertificate",
    "validatecertificates", "checkserveridentity", "strictssl", "certcheck", "tlscertcheck",
    "checkcertificate", "sslcertverify", "verifyhostname", "verifyhost", "sslverifyhost",
    "tlsverifyhost", "pythonhttpsverify", "sslverifypeer", "curloptsslverifypeer",
})
#: ... and those that do when set to true.
OFF_WHEN_TRUE = frozenset({
    "insecureskipverify", "skipverify", "tlsskipverify", "skiptlsverify", "skipsslverify",
    "allowselfsigned", "allowinvalidcert", "allowinvalidcerts", "acceptinvalidcert",
    "acceptinvalidcerts", "acceptinvalidcertificates", "trustallcerts", "trustall",
    "trustallcertificates", "ignorecerterrors", "ignoresslerrors", "ignorecertificateerrors",
    "disablesslverification", "disabletlsverification", "sslnoverify", "gitsslnoverify",
    "tlsinsecure", "sslinsecure", "insecuretls", "tlsallowinvalidcertificates",
    "tlsallowinvalidhostnames", "tlsinsecureskipverify", "dangerousacceptinvalidcerts",
})
#: Bare words that are a verification switch only under a TLS/SSL key (``tls.verify``).
OFF_UNDER_TLS = frozenset({"verify": False, "insecure": True}.items())
TLS_PATH = re.compile(r"(?i)(^|[._-])(tls|ssl|https|certs?|certificates?)($|[._-])")
#: A key chain that speaks of mail: the finding's scope is mail (mailtls.lint.context).
MAIL_PATH = re.compile(r"(?i)smtp|imap|pop3|sieve|lmtp|starttls|mail(?!tls)")


def _norm(key: str) -> str:
    return re.sub(r"[-_.\s]", "", key.lower())


def _ends_with(name: str, words: frozenset[str]) -> bool:
    """``SMTP_TLS_VERIFY`` ends with ``tlsverify``: a prefix names what is verified (words
    of 8 letters or more only, so that a short word is not found inside another)."""
    return any(len(w) >= 8 and name.endswith(w) for w in words)


def generic_switch(key: str, value: str) -> bool:
    """Whether ``key = value`` turns certificate or host name verification off."""
    parts = [p for p in re.split(r"[.\[\]]", key) if p]
    last = _norm(parts[-1]) if parts else ""
    if last in OFF_WHEN_FALSE or _ends_with(last, OFF_WHEN_FALSE):
        return is_false(value)
    if last in OFF_WHEN_TRUE or _ends_with(last, OFF_WHEN_TRUE):
        return is_true(value)
    for word, off_when in OFF_UNDER_TLS:
        if last == word and any(TLS_PATH.search(p) for p in parts[:-1]):
            return is_true(value) if off_when else is_false(value)
    return False


def key_value(rule_key: str, value: str, line: int, out: Scan) -> None:
    """The rules shared by every key/value format (properties, YAML, .env)."""
    key = rule_key.strip().strip("[]").replace("[", "").replace("]", "")
    value = strip_quotes(value)
    last = key.rsplit(".", 1)[-1]
    if MAIL_TRUST.search(key) and value.strip() == "*":
        out.hit("lint.spring.mail_ssl_trust_all", line, key=key)
    elif MAIL_IDENTITY.search(key) and is_false(value):
        out.hit("lint.spring.mail_no_identity_check", line, key=key)
    elif last.upper() == "NODE_TLS_REJECT_UNAUTHORIZED" and value.strip() == "0":
        out.hit("lint.env.node_tls_reject_unauthorized", line)
    elif (VERIFY_PEER.search(last) and last.isupper() and is_false(value)) or \
            DSN_OFF.match(value.strip()):
        out.hit("lint.env.verify_peer_off", line, key=key)
    elif generic_switch(key, value):
        params = {"key": key, "value": value.strip()}
        if MAIL_PATH.search(key):
            params["scope"] = "mail"  # an smtp/imap/mail object: mail whatever the file
        out.hits.append(Hit("lint.config.tls_verify_off", line, params=params))
