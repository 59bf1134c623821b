"""Where a finding sits (its *context*) and what the switched-off check protects (its *scope*).

Every TLS verification off-switch is a finding, mail or not: an attacker on the path gains
the same from an unverified webhook, LDAP bind or database connection as from an SMTP
session. What differs is what the connection carries, so the severity follows the scope:

- ``mail``: the rule is about a mail library or format (smtplib, nodemailer, swaks,
  msmtp, ...), the scanner saw a mail URL or key (``smtps://``, an ``smtp:`` object), or
  the file speaks of mail (``smtp``, ``imap``, ``pop3``, ``mail``, ``sieve``, ``lmtp``);
- ``credentials``: not mail, but the file handles secrets or a protocol that carries them
  (passwords, tokens, API keys, ``Authorization``, LDAP, database drivers);
- ``general``: anything else (an HTTPS download, a health check).

``mail`` and ``credentials`` keep the rule's severity; ``general`` is one step lower
(critical -> high). ``--scope mail`` keeps only ``mail``.

The context comes from the path: ``test`` (``tests/``, ``test_x.py``, ``x.spec.ts``,
``FooTest.java``, ``*.bats``...), ``example`` (``examples/``, ``docs/``, ``*.example``,
``*.dist``), ``tooling`` (``scripts/``, ``tools/``, ``.github/``, CI files), else
``production``. ``--exclude-context test`` is the user's choice; by default every context
is reported.
"""

from __future__ import annotations

import os
import re

CONTEXTS = ("production", "test", "example", "tooling")
SCOPES = ("mail", "credentials", "general")

#: Rules that find a generic off-switch: their scope comes from the hit (a ``scope``
#: param set by the scanner) or from the file. Every other rule is about mail.
GENERAL_RULES = frozenset({
    "lint.python.unverified_context", "lint.python.cert_none",
    "lint.python.check_hostname_false", "lint.python.http_verify_false",
    "lint.java.trust_all_manager", "lint.java.hostname_verifier_true",
    "lint.js.reject_unauthorized_false", "lint.js.node_tls_reject_unauthorized",
    "lint.php.verify_peer_off", "lint.php.allow_self_signed", "lint.php.curl_verify_off",
    "lint.go.insecure_skip_verify", "lint.csharp.cert_callback_true", "lint.ruby.verify_none",
    "lint.rust.accept_invalid_certs", "lint.rust.accept_invalid_hostnames",
    "lint.env.node_tls_reject_unauthorized", "lint.shell.curl_insecure",
    "lint.config.tls_verify_off", "lint.powershell.cert_callback_true",
    "lint.powershell.skip_certificate_check",
    # library rules of issue 15 item 3 whose libraries are not mail-specific
    "lint.rust.openssl_verify_none", "lint.rust.openssl_no_hostname",
    "lint.rust.rustls_no_verify",
})

MAIL_WORDS = re.compile(rb"(?i)smtp|imap|pop3|sieve|lmtp|starttls|mail(?!tls)")
CREDENTIAL_WORDS = re.compile(
    rb"(?i)passw|passwd|secret|token|api[_-]?key|authorization|bearer|credential|oauth"
    rb"|ldaps?\b|\bbind_?dn|jdbc:|postgres|mysql|mariadb|mongodb|redis|sslmode|database"
)


def topic(data: bytes, path: str = "") -> str:
    """The scope a generic rule gets in this file: mail, credentials or general."""
    name = os.path.basename(path).encode("utf-8", "replace")
    if MAIL_WORDS.search(name) or MAIL_WORDS.search(data):
        return "mail"
    if CREDENTIAL_WORDS.search(data):
        return "credentials"
    return "general"


def scope_of(rule: str, file_topic: str, forced: str | None = None) -> str:
    """A hit's scope: what the scanner said, else mail for mail rules, else the file's."""
    if forced in SCOPES:
        return forced
    return file_topic if rule in GENERAL_RULES else "mail"


TEST_DIRS = frozenset({
    "test", "tests", "testing", "__tests__", "__test__", "spec", "specs", "t", "testdata",
    "test-data", "test_data", "fixtures", "__fixtures__", "__mocks__", "mocks", "e2e",
    "integration-tests", "unittests", "unit-tests", "testsuite", "test-suite", "tests-integration",
    "testutils", "testlib", "testcases",
})
TEST_DIR_ENDS = (".tests", ".test", "-tests", "_tests", ".unittests", ".integrationtests",
                 ".specs", "-test", "_test")
EXAMPLE_DIRS = frozenset({
    "example", "examples", "sample", "samples", "demo", "demos", "doc", "docs",
    "documentation", "tutorial", "tutorials", "playground", "sandbox", "cookbook",
    "snippets", "_examples",
})
TOOLING_DIRS = frozenset({
    "scripts", "script", "tools", "tool", "ci", ".github", ".gitlab", ".circleci",
    ".buildkite", "hack", "devtools", "dev-tools", "bench", "benchmark", "benchmarks",
    "buildscripts", "build-tools", ".devcontainer", "contrib",
})
TEST_NAME = re.compile(
    r"(?i)^(test_.+\.py|conftest\.py|.+_test\.(py|go|rb|exs?|sh|php|c|cc|cpp|rs)"
    r"|.+\.(test|spec|e2e)\.[cm]?[jt]sx?|.+_spec\.rb|.+\.bats"
    r"|.+(test|tests|spec|it)\.(java|kt|kts|cs|groovy|scala|php|swift))$"
)
EXAMPLE_NAME = re.compile(r"(?i)^(examples?|samples?|demo)([._-].*)?$|\.(example|sample|dist)$")
TOOLING_NAME = re.compile(
    r"(?i)^(jenkinsfile|\.gitlab-ci\.ya?ml|\.travis\.ya?ml|azure-pipelines\.ya?ml"
    r"|\.drone\.ya?ml|appveyor\.ya?ml|bitbucket-pipelines\.ya?ml|gruntfile\.[jt]s"
    r"|gulpfile\.[jt]s|noxfile\.py|fabfile\.py|tasks\.py|setup\.py|rakefile|makefile"
    r"|\.pre-commit-config\.ya?ml|vagrantfile)$"
)


def _parts(path: str, root: str | None) -> list[str]:
    """The path's components that may say what it is: the root's own name and what is
    below it (``/home/t/x`` or ``bench/peers/x`` must not make every file a test or a
    tool; ``mailtls lint tests`` still makes its files tests). Without a root (a file
    named alone, or ``.``), the path as spelt."""
    norm = path.replace("\\", "/")
    if root is not None and os.path.normpath(root) not in (".", ""):
        parent = os.path.dirname(os.path.normpath(root)).replace("\\", "/")
        norm = norm[len(parent):] if norm.startswith(parent) else os.path.basename(norm)
    return [p for p in norm.split("/") if p not in ("", ".", "..")]


def context_of(path: str, root: str | None = None) -> str:
    """production, test, example or tooling, from the path (see the module doc)."""
    parts = _parts(path, root)
    if not parts:
        return "production"
    name, folders = parts[-1], [p.lower() for p in parts[:-1]]
    if TEST_NAME.match(name) or any(f in TEST_DIRS or f.endswith(TEST_DIR_ENDS) for f in folders):
        return "test"
    if EXAMPLE_NAME.search(name) or any(f in EXAMPLE_DIRS for f in folders):
        return "example"
    if TOOLING_NAME.match(name) or any(f in TOOLING_DIRS for f in folders):
        return "tooling"
    return "production"
