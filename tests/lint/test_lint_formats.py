"""Item 2 and the bad input of issue 15: the files lint now reads, how it picks the scanner
when the name lies, vendored trees, and hostile shapes of the new formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mailtls.lint import Options, lint_paths
from mailtls.lint.formats import scan_json
from mailtls.lint.shell import scan_shell

TODAY = dt.date(2026, 6, 1)
Found = list[tuple[str, int, str]]


def run(*paths: Path, **options: object) -> tuple[Found, list[tuple[str, str]]]:
    report = lint_paths(list(paths), options=Options(today=TODAY, jobs=1, **options))  # type: ignore[arg-type]
    found = sorted((Path(f.location.file).name, f.location.line, f.id)
                   for f in report.findings if f.location)
    notes = [(n.id, Path(n.location.file).name) for n in report.notes if n.location]
    return found, notes


def test_vendored_folders_are_skipped_with_a_note(tmp_path: Path) -> None:
    for folder in ("node_modules/lib", "vendor/acme", "src"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "tls.js").write_text("connect({ rejectUnauthorized: false })\n")
    found, notes = run(tmp_path)
    assert [(name, rule) for name, _, rule in found] == [
        ("tls.js", "lint.js.reject_unauthorized_false")]
    assert sorted(notes) == [("lint.vendored_skipped", "node_modules"),
                             ("lint.vendored_skipped", "vendor")]
    found, notes = run(tmp_path, include_vendored=True)
    assert len(found) == 3 and notes == []


def test_a_vendored_folder_named_explicitly_is_scanned(tmp_path: Path) -> None:
    lib = tmp_path / "node_modules" / "lib"
    lib.mkdir(parents=True)
    (lib / "tls.js").write_text("connect({ rejectUnauthorized: false })\n")
    found, notes = run(tmp_path / "node_modules")
    assert [rule for _, _, rule in found] == ["lint.js.reject_unauthorized_false"]
    assert notes == []


def test_the_shebang_decides_when_the_suffix_lies(tmp_path: Path) -> None:
    (tmp_path / "deploy.py").write_text("#!/bin/sh\ncurl -k https://api.example.org/token\n")
    (tmp_path / "notify.js").write_text(
        "#!/usr/bin/env python3\nimport ssl\nctx = ssl._create_unverified_context()\n")
    found, _ = run(tmp_path)
    assert found == [("deploy.py", 2, "lint.shell.curl_insecure"),
                     ("notify.js", 3, "lint.python.unverified_context")]


def test_inc_is_php_only_by_its_content(tmp_path: Path) -> None:
    (tmp_path / "mail.inc").write_text("<?php\n$o = ['verify_peer' => false];\n")
    (tmp_path / "macros.inc").write_text("; asm\n$o = ['verify_peer' => false];\n")
    found, _ = run(tmp_path)
    assert found == [("mail.inc", 2, "lint.php.verify_peer_off")]


def test_lock_files_and_non_json_are_not_read_as_json(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_text('{"rejectUnauthorized": false}\n')
    (tmp_path / "notes.json").write_text('not json: "rejectUnauthorized": false\n')
    (tmp_path / "real.json").write_text('{"tls": {"rejectUnauthorized": false}}\n')
    found, _ = run(tmp_path)
    assert found == [("real.json", 1, "lint.config.tls_verify_off")]


def test_a_wrapper_finding_names_its_callers() -> None:
    text = ("send() {\n  swaks --server mx.example.org \"$@\"\n}\n"
            "send --to a@example.org --tls\n"
            "send --to b@example.org\n"
            "send --to c@example.org -tlsc\n")
    (hit,) = scan_shell(text).hits
    assert (hit.rule, hit.line) == ("lint.shell.wrapper_no_verify", 1)
    assert hit.params == {"name": "send", "tool": "swaks", "callers": "4, 6"}


def test_a_wrapper_that_verifies_or_is_not_used_for_tls_is_not_a_finding() -> None:
    verified = "send() {\n  swaks --tls-verify \"$@\"\n}\nsend --tls\n"
    plain = "send() {\n  swaks \"$@\"\n}\nsend --to a@example.org\n"
    assert scan_shell(verified).hits == [] and scan_shell(plain).hits == []


def test_curl_k_on_loopback_is_not_a_finding_and_any_other_url_is() -> None:
    hits = scan_shell("curl -k https://localhost:8443/\ncurl -k https://127.0.0.1/\n"
                      "curl -k https://ldap.example.org/\ncurl -k smtps://mx.example.org\n").hits
    assert [(h.line, h.params.get("scope")) for h in hits] == [(3, None), (4, "mail")]


def test_json_with_broken_or_hostile_shapes_never_raises() -> None:
    depth = 200_000
    deep = "[" * depth + '{"tls": {"verify": false}}' + "]" * depth
    assert [h.params["key"] for h in scan_json(deep).hits] == ["tls.verify"]
    assert scan_json('{"a": "unterminated\n, "rejectUnauthorized": false').hits is not None
    assert scan_json("}}]]{{[[:,,:").hits == []
    assert scan_json("").hits == []


def test_json_line_numbers_follow_comments_and_strings() -> None:
    text = ('{\n  /* a\n  comment */\n  "imap": {\n    // x\n'
            '    "rejectUnauthorized": false\n  }\n}\n')
    (hit,) = scan_json(text).hits
    assert (hit.line, hit.params["key"], hit.params["scope"]) == (
        6, "imap.rejectUnauthorized", "mail")


def test_a_symlink_loop_and_a_vendored_loop_end(tmp_path: Path) -> None:
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "self").symlink_to(tmp_path)
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "a.sh").write_text("curl -k https://api.example.org/\n")
    found, _ = run(tmp_path, include_vendored=True)
    assert found == [("a.sh", 1, "lint.shell.curl_insecure")]
