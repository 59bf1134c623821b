"""``mailtls check``: the plugin's status line and exit status, against the built-in lab
and real Postfix, and the judgement itself with pinned time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from plugin_support import lab_url, mailtls

from mailtls.export.nagios import Limits, State, judge, perfdata, render
from mailtls.lab.servers import Lab
from mailtls.model import CertInfo, Finding, ScanResult, Severity, Target
from servers.ports import free_ports

LINE = re.compile(r"^MAILTLS (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+ \| (.*)$")
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def check(*args: str, lang: str = "C.UTF-8") -> tuple[int, str, str]:
    p = mailtls("check", *args, lang=lang)
    return p.returncode, p.stdout, p.stderr


def first_line(out: str) -> tuple[str, dict[str, str]]:
    m = LINE.match(out.splitlines()[0])
    assert m, out
    perf = dict(item.split("=", 1) for item in m.group(2).split())
    return m.group(1), perf


@pytest.mark.parametrize(
    ("name", "extra", "status", "word"),
    [
        ("good", (), 0, "OK"),
        ("expires-soon", ("-w", "30", "-c", "5"), 1, "WARNING"),
        ("expires-soon", ("-w", "30", "-c", "14"), 2, "CRITICAL"),
        ("expired", (), 2, "CRITICAL"),
        ("untrusted", (), 2, "CRITICAL"),
        ("wrong-host", (), 2, "CRITICAL"),
        ("no-starttls", (), 2, "CRITICAL"),
    ],
)
def test_lab_states(plugin_lab: Lab, name: str, extra: tuple[str, ...], status: int,
                    word: str) -> None:
    code, out, err = check(lab_url(plugin_lab, name), "--ca-file", str(plugin_lab.ca_file),
                           "--trust", "none", *extra)
    assert code == status, out + err
    state, perf = first_line(out)
    assert state == word
    assert re.fullmatch(r"\d+\.\d{3}s;;;0", perf["time"])
    if name != "no-starttls":
        days, warn, crit = perf["days_left"].split(";")
        assert warn == f"{extra[1] if extra else '30'}:" and crit.endswith(":")
        assert (float(days) < 0) == (name == "expired")


def test_unreachable_is_critical_by_default_or_unknown(plugin_lab: Lab) -> None:
    port = free_ports(1)[0]
    code, out, _ = check(f"smtp://127.0.0.1:{port}", "--timeout", "5")
    assert code == 2 and out.startswith("MAILTLS CRITICAL - "), out
    assert "Connection refused" in out and "days_left" not in out
    code, out, _ = check(f"smtp://127.0.0.1:{port}", "--unreachable", "unknown")
    assert code == 3 and out.startswith("MAILTLS UNKNOWN - "), out


@pytest.mark.parametrize(
    "args",
    [
        ("smtp://localhost:25", "-w", "5", "-c", "10"),  # critical above warning
        ("smtp://localhost:25", "-w", "-1"),
        ("smtp://localhost:25", "--bogus"),
        ("ftp://localhost:21",),
        ("smtp://localhost:25", "--ca-file", "/nonexistent/ca.pem"),
        ("smtp://localhost:25", "--resolve", "nonsense"),
        (),
    ],
)
def test_bad_arguments_are_unknown_on_one_line(args: tuple[str, ...]) -> None:
    code, out, _ = check(*args)
    assert code == 3, out
    assert out.startswith("MAILTLS UNKNOWN - ") and out.count("\n") == 1, out


def test_chinese(plugin_lab: Lab) -> None:
    code, out, _ = check(lab_url(plugin_lab, "expired"), "--ca-file", str(plugin_lab.ca_file),
                         "--lang", "zh_CN")
    assert code == 2
    head = out.splitlines()[0]
    assert head.startswith("MAILTLS CRITICAL - ") and "证书已过期" in head and "天前" in head
    code, out, _ = check(lab_url(plugin_lab, "good"), "--ca-file", str(plugin_lab.ca_file),
                         lang="zh_CN.UTF-8")
    assert code == 0 and "证书验证通过" in out and "剩余" in out, out


@pytest.mark.servers
@pytest.mark.parametrize(
    ("situation", "status"),
    [("good", 0), ("expires-soon", 1), ("expired", 2), ("self-signed", 2),
     ("chain-incomplete", 2)],
)
def test_real_postfix(postfix_lab, situation: str, status: int) -> None:  # type: ignore[no-untyped-def]
    url = f"smtp://localhost:{postfix_lab[situation]}"
    code, out, _ = check(url, "--resolve", f"localhost:{postfix_lab[situation]}:127.0.0.1",
                         "--ca-file", str(postfix_lab.ca_file), "-w", "30", "-c", "5")
    assert code == status, out
    assert first_line(out)[0] == State(status).name


@pytest.mark.servers
def test_real_postfix_smtps_and_no_tls(postfix_lab) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = check(f"smtps://127.0.0.1:{postfix_lab.smtps}", "--ca-file",
                         str(postfix_lab.ca_file))
    assert code == 0, out
    code, out, _ = check(f"smtp://127.0.0.1:{postfix_lab.no_tls}", "--ca-file",
                         str(postfix_lab.ca_file))
    assert code == 2 and "STARTTLS" in out, out


# -- the judgement, with pinned time ------------------------------------------------------


def result(days: float | None, *findings: Finding, tested: bool = True) -> ScanResult:
    cert = None
    if days is not None:
        end = (NOW + dt.timedelta(days=days)).isoformat()
        cert = CertInfo("CN=x", "CN=ca", "2026-01-01T00:00:00+00:00", end, "ab", "cd", ("x",),
                        "01", "EC secp256r1", "ecdsa-with-SHA256", False, False)
    return ScanResult(Target("smtp", "mail.example.org", 25), "127.0.0.1", "TLSv1.3", None,
                      cert, (), tuple(findings), tested)


OK_F = Finding("cert.verified", Severity.INFO)


@pytest.mark.parametrize(
    ("days", "findings", "state"),
    [
        (30.0, (OK_F,), State.OK),  # exactly at -w: not yet below it
        (29.99, (OK_F,), State.WARNING),
        (14.0, (OK_F,), State.WARNING),
        (13.99, (OK_F,), State.CRITICAL),
        (100, (), State.CRITICAL),  # no cert.verified: not verified
        (100, (OK_F, Finding("cert.weak_key", Severity.HIGH)), State.WARNING),
        (100, (OK_F, Finding("cert.name_not_ldh", Severity.LOW)), State.OK),
        (20, (OK_F, Finding("cert.expires_soon", Severity.MEDIUM)), State.WARNING),
        (100, (OK_F, Finding("cert.expires_soon", Severity.MEDIUM)), State.OK),  # -w rules
    ],
)
def test_judge_thresholds(days: float, findings: tuple[Finding, ...], state: State) -> None:
    assert judge(result(days, *findings), NOW, Limits(30, 14)).state is state


def test_judge_untested() -> None:
    refused = result(None, Finding("conn.refused", Severity.HIGH, primary=True), tested=False)
    assert judge(refused, NOW, Limits()).state is State.CRITICAL
    assert judge(refused, NOW, Limits(unreachable=State.UNKNOWN)).state is State.UNKNOWN
    wrong = result(None, Finding("conn.wrong_scheme.tls", Severity.HIGH), tested=False)
    assert judge(wrong, NOW, Limits()).state is State.UNKNOWN
    broken = result(None, Finding("tls.handshake_failed", Severity.HIGH), tested=False)
    assert judge(broken, NOW, Limits(unreachable=State.UNKNOWN)).state is State.CRITICAL


def test_perfdata_and_render_stay_one_line() -> None:
    r = result(45.5, OK_F)
    verdict = judge(r, NOW, Limits(30, 14))
    assert perfdata(verdict, 0.25, Limits(30, 14)) == "days_left=45.50;30:;14: time=0.250s;;;0"
    text = render(r, verdict, 0.25, Limits(30, 14))
    assert text.startswith("MAILTLS OK - smtp://mail.example.org:25 (127.0.0.1): certificate "
                           "verified; expires 2026-07-16 12:00 UTC (45 days left) | days_left=")
    assert "\n" not in text  # no finding above info: no long output


def test_limits_problem() -> None:
    assert Limits(10, 20).problem() and Limits(-1, 0).problem() and not Limits(5, 5).problem()


