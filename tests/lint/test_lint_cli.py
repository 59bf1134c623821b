"""``mailtls lint`` end to end: output formats, exit status, file selection, exceptions."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from mailtls.cli.lint import lint_command
from mailtls.lint import configs

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE.parents[1] / "src" / "mailtls" / "schemas"
SARIF_SCHEMA = HERE / "sarif" / "sarif-2.1.0-rtm.5.json"
INSECURE = "import smtplib\ns = smtplib.SMTP('mx')\ns.starttls()\n"
#: High in a mail file (a generic switch outside mail is one step lower: lint.context).
HIGH_ONLY = "import smtplib, ssl\nctx = ssl.create_default_context()\nctx.check_hostname = False\n"


def lint(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(lint_command, [*args, "--today", "2026-06-01", "-j", "1"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(INSECURE)
    (tmp_path / "ok.py").write_text("import ssl\nctx = ssl.create_default_context()\n")
    return tmp_path


def test_text_output_shows_the_source_line(tree: Path) -> None:
    code, out = lint(str(tree))
    assert code == 1
    assert "app.py:3:1" in out and "s.starttls()" in out
    assert "lint.python.smtplib_no_context" in out and "Fix:" in out


def test_chinese_output(tree: Path) -> None:
    _, out = lint(str(tree), "--lang", "zh_CN")
    assert "没有会验证的上下文" in out and "修复" in out


def test_exit_status_follows_fail_on(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(HIGH_ONLY)
    assert lint(str(tmp_path))[0] == 1
    assert lint(str(tmp_path), "--fail-on", "high")[0] == 1
    assert lint(str(tmp_path), "--fail-on", "critical")[0] == 0
    assert lint(str(tmp_path), "--fail-on", "never")[0] == 0


def test_clean_tree_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n")
    code, out = lint(str(tmp_path))
    assert code == 0 and "No findings." in out


def test_json_matches_its_schema(tree: Path) -> None:
    (tree / "blob.py").write_bytes(b"\x00\x01")
    code, out = lint(str(tree), "--json")
    doc = json.loads(out)
    schema = json.loads((SCHEMAS / "lint-1.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert code == 1 and doc["schema"] == 1
    (finding,) = doc["findings"]
    assert finding["id"] == "lint.python.smtplib_no_context" and finding["line"] == 3
    assert finding["cwe"] == 295 and finding["fix"] == "context=ssl.create_default_context()"
    assert [n["params"]["reason"] for n in doc["notes"]] == ["binary file"]


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(tree: Path) -> None:
    corpus = HERE / "corpus"
    code, out = lint(str(corpus), "--format", "sarif")
    log = json.loads(out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "external/cwe/cwe-295" in rules["lint.go.insecure_skip_verify"]["properties"]["tags"]
    assert "external/cwe/cwe-297" in rules["lint.java.hostname_verifier_true"]["properties"]["tags"]
    assert rules["lint.go.insecure_skip_verify"]["help"]["text"]
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in run["results"]]
    assert all(region["startLine"] >= 1 for region in regions)
    assert code == 1


def test_gitignore_and_exclude(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("build/\n*.gen.py\n!keep.gen.py\n")
    for rel in ("build/x.py", "a.gen.py", "keep.gen.py", "src/app.py", "vendor/lib.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(INSECURE)
    (tmp_path / "src" / ".gitignore").write_text("app.py\n")
    _, out = lint(str(tmp_path), "--json", "--exclude", "vendor/")
    findings = json.loads(out)["findings"]
    files = sorted(Path(f["file"]).relative_to(tmp_path).as_posix() for f in findings)
    assert files == ["keep.gen.py"]


def test_an_explicit_file_is_linted_even_if_ignored(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n")
    (tmp_path / "a.py").write_text(INSECURE)
    assert lint(str(tmp_path))[0] == 0
    assert lint(str(tmp_path / "a.py"))[0] == 1


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, out = lint(str(tmp_path / "nope"))
    assert code == 2 and "no such file or folder" in out


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True)


def test_changed_since(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.org")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "old.py").write_text(INSECURE)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "old")
    (tmp_path / "new.py").write_text(INSECURE)  # untracked
    (tmp_path / "tracked.py").write_text("x = 1\n")
    git(tmp_path, "add", "tracked.py")
    git(tmp_path, "commit", "-qm", "two")
    (tmp_path / "tracked.py").write_text(INSECURE)  # changed since HEAD~1
    _, out = lint(str(tmp_path), "--json", "--changed-since", "HEAD~1")
    files = sorted(Path(f["file"]).name for f in json.loads(out)["findings"])
    assert files == ["new.py", "tracked.py"]
    code, out = lint(str(tmp_path), "--changed-since", "no-such-rev")
    assert code == 2 and "no-such-rev" in out


def test_exceptions_expire(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "import smtplib, ssl\nctx = ssl.create_default_context()\n"
        "ctx.check_hostname = False  # mailtls: allow lint.python.check_hostname_false"
        " until 2026-07-01 -- lab CA\n"
    )
    assert lint(str(tmp_path))[0] == 0
    result = CliRunner().invoke(lint_command, [str(tmp_path), "--today", "2026-07-02", "--json"])
    (finding,) = json.loads(result.output)["findings"]
    assert finding["id"] == "lint.expired_exception" and finding["severity"] == "high"
    assert finding["params"]["rule"] == "lint.python.check_hostname_false"


def test_postfix_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.cf").write_text("smtp_tls_security_level = encrypt\n")
    assert configs.postfix_rules() is None or "mailtls.checks.postfix" in sys.modules
    fake = types.ModuleType(configs.POSTFIX_MODULE)

    def lint_main_cf(text: str, path: str) -> list[tuple[str, int, dict[str, str]]]:
        return [("lint.msmtp.tls_certcheck_off", 1, {})] if "encrypt" in text else []

    fake.lint_main_cf = lint_main_cf  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, configs.POSTFIX_MODULE, fake)
    _, out = lint(str(tmp_path), "--json")
    assert [(f["id"], f["line"]) for f in json.loads(out)["findings"]] == [
        ("lint.msmtp.tls_certcheck_off", 1)
    ]


def test_pre_commit_hook_file() -> None:
    import yaml

    hooks = yaml.safe_load((HERE.parents[1] / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["id"] == "mailtls-lint" and hooks[0]["entry"].startswith("mailtls lint")
