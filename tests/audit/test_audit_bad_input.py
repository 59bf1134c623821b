"""Bad input: a clear message naming the file and line, no traceback, no hang, the rest reported."""

from __future__ import annotations

import os
import time
from pathlib import Path

from click.testing import CliRunner

from mailtls.cli.audit import audit_command
from mailtls.config import load_postfix
from mailtls.config.dovecot import load_dovecot
from mailtls.config.files import read_config
from support.audit import at

DOVECOT_BAD = "ssl_min_protocol = TLSv1\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(audit_command, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def _dovecot(tmp_path: Path) -> Path:
    conf = tmp_path / "dovecot.conf"
    conf.write_text(DOVECOT_BAD)
    return conf


def test_missing_main_cf_rest_still_audited(tmp_path: Path) -> None:
    (tmp_path / "nope").mkdir()
    code, out, _ = run("--postfix", str(tmp_path / "nope"), "--dovecot", str(_dovecot(tmp_path)))
    assert code == 3
    assert f"{tmp_path / 'nope' / 'main.cf'}" in out and "The file does not exist." in out
    assert "dovecot.legacy_protocols" in out  # the rest of the audit


def test_missing_postfix_directory_is_an_input_error(tmp_path: Path) -> None:
    code, _, err = run("--postfix", str(tmp_path / "nope"), "--dovecot", str(_dovecot(tmp_path)))
    assert code == 66 and f"--postfix {tmp_path / 'nope'}: cannot read it" in err  # EX_NOINPUT


def test_missing_master_cf_uses_standard_services(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text("smtpd_tls_security_level = may\n")
    config = load_postfix(tmp_path)
    assert {s.key for s in config.services} == {"smtp/inet", "smtp/unix", "relay/unix"}
    assert any(p.file.endswith("master.cf") and p.fatal for p in config.problems)


def test_binary_file(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_bytes(b"\x7fELF\x00\x01binary")
    code, out, _ = run("--postfix", str(tmp_path), "--dovecot", str(_dovecot(tmp_path)))
    assert code == 3 and "NUL bytes" in out and "dovecot.legacy_protocols" in out


def test_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "main.cf")
    start = time.monotonic()
    _, problem = read_config(tmp_path / "main.cf")
    assert problem is not None and problem.problem == "This is not a regular file."
    assert time.monotonic() - start < 1


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "main.cf"
    path.write_text("a = b\n")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: refuse through a directory instead
        path.chmod(0o644)
        tmp_path.chmod(0)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.setuid(65534)
            _, problem = read_config(path)
            os._exit(0 if problem and problem.problem == "The file cannot be read." else 1)
        _, status = os.waitpid(pid, 0)
        tmp_path.chmod(0o755)
        assert os.waitstatus_to_exitcode(status) == 0
    else:
        _, problem = read_config(path)
        assert problem is not None and problem.problem == "The file cannot be read."


def test_50_mb_main_cf(tmp_path: Path) -> None:
    with (tmp_path / "main.cf").open("w") as fh:
        line = "smtpd_banner = " + "x" * 85 + "\n"
        fh.write(line * (50 * 1024 * 1024 // len(line)))
    start = time.monotonic()
    code, out, _ = run("--postfix", str(tmp_path), "--dovecot", str(_dovecot(tmp_path)))
    assert time.monotonic() - start < 10
    assert code == 3 and "too large" in out and "dovecot.legacy_protocols" in out


def test_recursive_parameters(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text("a = $b\nb = $a\nsmtpd_banner = $a\n"
                                      "smtpd_tls_security_level = may\nsmtpd_tls_loglevel = 0\n")
    (tmp_path / "master.cf").write_text("smtp inet n - y - - smtpd\n")
    config = load_postfix(tmp_path)
    loops = [p for p in config.problems if p.problem.startswith("Recursive")]
    assert [p.line for p in loops] == [1, 2, 3]
    assert "a -> b -> a" in loops[0].context
    code, out, _ = run("--postfix", str(tmp_path))
    assert "postfix.config_error" in out and "postfix.tls_logging_off" in out  # rest reported
    code, out, err = run("--postfix", str(tmp_path), "--effective")
    assert code == 3
    assert f"{tmp_path / 'main.cf'}, line 1: a: recursive parameter reference (a -> b -> a)" in err
    assert "smtpd_tls_loglevel = 0" in out  # the other parameters are printed


def test_include_loop(tmp_path: Path) -> None:
    (tmp_path / "dovecot.conf").write_text("ssl = yes\n!include other.conf\n")
    (tmp_path / "other.conf").write_text("# other\n!include dovecot.conf\n"
                                         "ssl_min_protocol = TLSv1\n")
    config = load_dovecot(tmp_path / "dovecot.conf", doveconf=None)  # the built-in reading
    loop = [p for p in config.problems if "loop" in p.problem]
    assert [(Path(p.file).name, p.line) for p in loop] == [("other.conf", 2)]
    code, out, _ = run("--dovecot", str(tmp_path / "dovecot.conf"))
    assert "dovecot.config_error" in out and "dovecot.legacy_protocols" in out
    assert code == 1


def test_missing_include_and_bad_lines(tmp_path: Path, dovecot: object) -> None:
    (tmp_path / "dovecot.conf").write_text("!include_try nope.conf\n!include gone.conf\n"
                                           "what is this\nlocal 1.2.3.4 {\n  ssl = no\n")
    config = load_dovecot(tmp_path / "dovecot.conf", doveconf=None)  # the built-in reading
    found = {(p.problem, p.line) for p in config.problems}
    assert ("The included file does not exist or cannot be read.", 2) in found
    assert ("Dovecot cannot parse this line.", 3) in found
    assert any(p.problem.startswith("A block is not closed") for p in config.problems)


def test_postfix_syntax_errors_reported_with_line(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text("  leading = 1\ngarbage line\nok = ${x\n")
    (tmp_path / "master.cf").write_text("smtp inet n - y\nsub inet n - y - - smtpd -o bad\n")
    config = load_postfix(tmp_path)
    got = {(Path(p.file).name, p.line, p.problem.split(":")[0]) for p in config.problems}
    assert ("main.cf", 1, "A logical line must not start with white space") in got
    assert ("main.cf", 2, "Missing '=' after the parameter name") in got
    assert ("main.cf", 3, "Postfix cannot expand this value.") in got
    assert ("master.cf", 1, "A master.cf entry needs 8 fields; Postfix refuses this entry.") in got
    assert ("master.cf", 2, "An -o option needs name=value; Postfix ignores it.") in got
    assert at([], "x") == []
