"""Would this Postfix apply DANE and MTA-STS when sending? (issue 16, item 7)

Each case is a main.cf/master.cf as a mail host writes it; the fixes are run with the real
``postconf`` and the configuration audited again.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mailtls.checks.certfiles import CertContext
from mailtls.checks.postfix import LINT_RULES, audit_postfix
from mailtls.checks.postfix_outbound import RESOLVER_MAP
from mailtls.config import load_postfix
from mailtls.model import Finding
from support.audit import MASTER, AuditPostfix, at

RESOLVER = "socketmap:inet:127.0.0.1:8461:postfix"
BASE = (
    "compatibility_level = 3.6\n"                                # 1
    "myhostname = mx.example.org\n"                              # 2
    "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n"     # 3
    "smtp_tls_loglevel = 1\n"                                    # 4
)


def one(findings: list[Finding], fid: str) -> Finding:
    (f,) = [f for f in findings if f.id == fid]
    return f


def test_may_applies_neither(postfix: AuditPostfix) -> None:
    found = postfix(BASE + "smtp_tls_security_level = may\n")  # 5
    dane = one(found, "postfix.dane_not_enforced")
    assert at(found, "postfix.dane_not_enforced") == [("main.cf", 5)]
    assert dane.params["service"] == "smtp/unix, relay/unix"  # one finding for the line
    assert dane.params["dns"] == "(empty)"
    assert dane.fix is not None and "smtp_dns_support_level = dnssec" in dane.fix
    assert "smtp_tls_security_level = dane" in dane.fix
    sts = one(found, "postfix.mta_sts_not_enforced")
    assert at(found, "postfix.mta_sts_not_enforced") == [("main.cf", 5)]  # the level line
    assert sts.fix is not None and f"smtp_tls_policy_maps = {RESOLVER}" in sts.fix
    assert at(found, "postfix.outbound_authenticated") == []


def test_dnssec_lookups_already_on_only_the_level_is_fixed(postfix: AuditPostfix) -> None:
    found = postfix(BASE + "smtp_dns_support_level = dnssec\nsmtp_tls_security_level = may\n")
    dane = one(found, "postfix.dane_not_enforced")
    assert dane.fix is not None and "smtp_dns_support_level" not in dane.fix
    assert dane.params["dns"] == "dnssec"


def test_dane_dnssec_and_a_resolver_is_authenticated(postfix: AuditPostfix) -> None:
    found = postfix(BASE + "smtp_dns_support_level = dnssec\n"                 # 5
                    "smtp_tls_security_level = dane\n"                          # 6
                    f"smtp_tls_policy_maps = texthash:/nonexistent, {RESOLVER}\n")  # 7
    assert at(found, "postfix.outbound_authenticated") == [("main.cf", 6)]
    assert one(found, "postfix.outbound_authenticated").params["resolver"] == RESOLVER
    assert at(found, "postfix.dane_not_enforced") == []
    assert at(found, "postfix.mta_sts_not_enforced") == []


def test_a_static_policy_table_is_not_an_mta_sts_resolver(postfix: AuditPostfix,
                                                          tmp_path: Path) -> None:
    table = tmp_path / "tls_policy"
    table.write_text("example.net secure\n")
    found = postfix(BASE + "smtp_dns_support_level = dnssec\n"           # 5
                    "smtp_tls_security_level = dane\n"                    # 6
                    f"smtp_tls_policy_maps = texthash:{table}\n")         # 7
    sts = one(found, "postfix.mta_sts_not_enforced")
    assert at(found, "postfix.mta_sts_not_enforced") == [("main.cf", 7)]  # the maps line
    assert sts.fix is not None and f"texthash:{table} {RESOLVER}" in sts.fix  # kept first
    assert at(found, "postfix.dane_not_enforced") == []


def test_a_relayhost_is_not_judged_here(postfix: AuditPostfix) -> None:
    found = postfix(BASE + "relayhost = [smtp.example.net]:587\nsmtp_tls_security_level = may\n")
    assert at(found, "postfix.dane_not_enforced") == []
    assert at(found, "postfix.mta_sts_not_enforced") == []


def test_other_rules_say_none_and_dane_without_dnssec(postfix: AuditPostfix) -> None:
    none = postfix(BASE + "smtp_tls_security_level = none\n")
    assert {"postfix.dane_not_enforced", "postfix.mta_sts_not_enforced"}.isdisjoint(
        f.id for f in none)
    assert at(none, "postfix.outbound_no_tls")
    nodns = postfix(BASE + "smtp_tls_security_level = dane\n"
                    f"smtp_tls_policy_maps = {RESOLVER}\n")
    assert at(nodns, "postfix.dane_without_dnssec") and not at(nodns, "postfix.dane_not_enforced")
    assert not at(nodns, "postfix.outbound_authenticated")  # no DNSSEC lookups: no DANE


def test_a_master_cf_override_is_judged_per_service(postfix: AuditPostfix) -> None:
    master = MASTER.replace("relay     unix  -       -       y       -       -       smtp\n",
                            "relay     unix  -       -       y       -       -       smtp\n"
                            "  -o smtp_tls_security_level=may\n")
    found = postfix(BASE + "smtp_dns_support_level = dnssec\n"           # 5
                    "smtp_tls_security_level = dane\n", master)           # 6
    dane = one(found, "postfix.dane_not_enforced")
    assert dane.params["service"] == "relay/unix"
    assert at(found, "postfix.dane_not_enforced") == [("master.cf", 4)]
    assert dane.fix is not None and "-P" in dane.fix and "relay/unix/smtp_tls_security_level=dane" \
        in dane.fix


def test_not_a_lint_rule() -> None:
    assert not {r.__name__ for r in LINT_RULES} & {
        "dane_not_enforced", "mta_sts_not_enforced", "outbound_authenticated"}
    assert RESOLVER_MAP == RESOLVER


@pytest.mark.skipif(shutil.which("postconf") is None, reason="needs Postfix's postconf")
def test_the_fixes_run_with_postconf_make_it_authenticated(tmp_path: Path,
                                                           ctx: CertContext) -> None:
    conf = tmp_path / "etc"
    conf.mkdir()
    (conf / "main.cf").write_text(BASE + "smtp_tls_security_level = may\n")
    (conf / "master.cf").write_text(MASTER)
    found = audit_postfix(load_postfix(conf), ctx)
    fixes = [f.fix for f in found if f.fix and f.id in (
        "postfix.dane_not_enforced", "postfix.mta_sts_not_enforced")]
    assert len(fixes) == 2
    for fix in fixes:
        for command in fix.splitlines():
            subprocess.run(command, shell=True, check=True, capture_output=True, timeout=60)
    after = audit_postfix(load_postfix(conf), ctx)
    assert at(after, "postfix.outbound_authenticated") == [("main.cf", 5)]
    assert not at(after, "postfix.dane_not_enforced") and not at(after,
                                                                 "postfix.mta_sts_not_enforced")
    assert not at(after, "postfix.dane_without_dnssec")
