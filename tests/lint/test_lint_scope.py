"""Item 1 of issue 15: every off-switch is a finding; scope, severity and context follow
what it protects and where it sits; --scope mail and --exclude-context are the user's."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from mailtls.cli.lint import lint_command
from mailtls.lint import Options, lint_paths
from mailtls.lint.context import context_of

SCHEMA = Path(__file__).resolve().parents[2] / "src" / "mailtls" / "schemas" / "lint-1.json"
GO_SKIP = 'package x\n\nimport "crypto/tls"\n\nvar c = &tls.Config{InsecureSkipVerify: true}\n'


def lint_json(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(lint_command, [*args, "--json", "-j", "1", "--today",
                                               "2026-06-01"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def findings(doc: dict[str, object]) -> list[dict[str, str]]:
    items = doc["findings"]
    assert isinstance(items, list)
    return items


@pytest.mark.parametrize(("path", "context"), [
    ("src/mail/send.py", "production"),
    ("tests/test_send.py", "test"),
    ("src/send_test.go", "test"),
    ("web/src/mailer.spec.ts", "test"),
    ("src/test/java/org/x/MailerTest.java", "test"),
    ("MyApp.Tests/SmtpClientFactory.cs", "test"),
    ("test/mail.bats", "test"),
    ("examples/send.js", "example"),
    ("docs/howto/send.py", "example"),
    ("config/mail.php.dist", "example"),
    ("scripts/deploy.sh", "tooling"),
    (".github/workflows/ci.yml", "tooling"),
    ("Jenkinsfile", "tooling"),
    ("src/contest/attest.py", "production"),  # "test" inside a word is not a test folder
])
def test_context_from_the_path(path: str, context: str) -> None:
    assert context_of(path) == context


def test_an_absolute_root_counts_only_from_its_own_name() -> None:
    """/home/t/proj: the user's "t" folder (Perl's test folder name) is not the project's."""
    assert context_of("/home/t/proj/src/a.py", "/home/t/proj") == "production"
    assert context_of("/home/t/proj/t/a.t.py", "/home/t/proj") == "test"
    assert context_of("/srv/tests/proj/a.py", "/srv/tests/proj") == "production"
    assert context_of("bench/peers/src/pkg/a.js", "bench/peers/src") == "production"
    assert context_of("tests/lint/a.py", "tests") == "test"
    assert context_of("scripts/send.sh", ".") == "tooling"


@pytest.mark.parametrize(("extra", "scope", "severity"), [
    ("", "general", "high"),  # an HTTPS health check: one step lower
    ('\nimport "net/smtp"\n', "mail", "critical"),
    ("\n// the LDAP bind password comes from the vault\n", "credentials", "critical"),
])
def test_a_generic_switch_is_found_with_the_severity_of_what_it_protects(
        tmp_path: Path, extra: str, scope: str, severity: str) -> None:
    (tmp_path / "client.go").write_text(GO_SKIP + extra)
    _, doc = lint_json(str(tmp_path))
    (f,) = findings(doc)
    assert (f["id"], f["scope"], f["severity"]) == ("lint.go.insecure_skip_verify", scope,
                                                      severity)


def test_a_mail_rule_is_mail_whatever_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.sh").write_text("swaks --server relay.example.org --tls\n")
    (f,) = findings(lint_json(str(tmp_path))[1])
    assert (f["scope"], f["severity"]) == ("mail", "critical")


def test_json_key_chain_gives_the_scope(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({
        "cache": {"tls": {"verify": False}},
        "outgoing": {"smtp": {"verify_peer": False}},
    }, indent=1))
    (tmp_path / "ldap.json").write_text('{"ldap": {"tls": {"verify": false}},\n'
                                        ' "bind_password_file": "/run/secrets/ldap"}\n')
    got = {(Path(f["file"]).name, f["params"]["key"], f["scope"], f["severity"])  # type: ignore[index]
           for f in findings(lint_json(str(tmp_path))[1])}
    assert got == {
        ("settings.json", "cache.tls.verify", "mail", "critical"),  # the file speaks of smtp
        ("settings.json", "outgoing.smtp.verify_peer", "mail", "critical"),
        ("ldap.json", "ldap.tls.verify", "credentials", "critical"),
    }


def test_scope_mail_keeps_only_mail(tmp_path: Path) -> None:
    (tmp_path / "client.go").write_text(GO_SKIP)
    (tmp_path / "send.sh").write_text("curl -k --url smtps://smtp.example.org -T m.txt\n")
    code, doc = lint_json(str(tmp_path), "--scope", "mail")
    assert [Path(f["file"]).name for f in findings(doc)] == ["send.sh"]
    assert doc["excluded"] == 1 and code == 1
    _, everything = lint_json(str(tmp_path))
    assert len(findings(everything)) == 2


def test_exclude_context_is_the_users_choice(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mail.py").write_text(
        "import smtplib\ns = smtplib.SMTP('mx')\ns.starttls()\n")
    (tmp_path / "app.py").write_text("import smtplib\ns = smtplib.SMTP_SSL('mx')\n")
    _, doc = lint_json(str(tmp_path))
    assert sorted((Path(f["file"]).name, f["context"]) for f in findings(doc)) == [
        ("app.py", "production"), ("test_mail.py", "test")]
    _, doc = lint_json(str(tmp_path), "--exclude-context", "test")
    assert [Path(f["file"]).name for f in findings(doc)] == ["app.py"]


def test_json_with_context_and_scope_matches_the_schema(tmp_path: Path) -> None:
    (tmp_path / "node_modules" / "pkg").mkdir(parents=True)
    (tmp_path / "node_modules" / "pkg" / "i.js").write_text("x({rejectUnauthorized: false})\n")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "c.go").write_text(GO_SKIP)
    _, doc = lint_json(str(tmp_path))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    (f,) = findings(doc)
    assert (f["context"], f["scope"]) == ("example", "general")
    (note,) = doc["notes"]  # type: ignore[misc]
    assert note["id"] == "lint.vendored_skipped" and note["scope"] is None


def test_sarif_results_carry_context_and_scope(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "fetch.sh").write_text("curl -k https://api.example.org/x\n")
    result = CliRunner().invoke(lint_command, [str(tmp_path), "--format", "sarif", "-j", "1"])
    (res,) = json.loads(result.output)["runs"][0]["results"]
    assert res["properties"]["context"] == "tooling"
    assert res["properties"]["scope"] == "general"
    assert res["level"] == "error" and res["properties"]["severity"] == "high"


def test_text_output_names_a_non_production_context(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "c.go").write_text(GO_SKIP)
    out = CliRunner().invoke(lint_command, [str(tmp_path), "-j", "1"]).output
    (head,) = [line for line in out.splitlines() if "lint.go.insecure_skip_verify" in line]
    assert head.endswith(" (example)")
    out = CliRunner().invoke(lint_command, [str(tmp_path), "-j", "1", "--lang", "zh_CN"]).output
    assert " (示例)" in out


def test_report_tags_stay_aligned_after_sorting(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "z.go").write_text(GO_SKIP)
    (tmp_path / "tests" / "a.go").write_text(GO_SKIP + '\nimport "net/smtp"\n')
    report = lint_paths([tmp_path], options=Options(jobs=1))
    got = [(Path(f.location.file).name, t.context, t.scope, f.severity.label)
           for f, t in zip(report.findings, report.tags, strict=True) if f.location]
    assert sorted(got) == [("a.go", "test", "mail", "critical"),
                           ("z.go", "production", "general", "high")]
