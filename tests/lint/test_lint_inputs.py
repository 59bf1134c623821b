"""Bad input never crashes the run, and a file that cannot be parsed is named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mailtls.lint import Options, lint_paths
from mailtls.lint import engine as engine_module

TODAY = dt.date(2026, 6, 1)


Found = list[tuple[str, int, str]]


def run(*paths: Path) -> tuple[Found, list[tuple[str, str]]]:
    report = lint_paths(list(paths), options=Options(today=TODAY, jobs=1))
    found = [
        (Path(f.location.file).name, f.location.line, f.id) for f in report.findings if f.location
    ]
    notes = [(Path(n.location.file).name, n.params["reason"]) for n in report.notes if n.location]
    return found, notes


def test_non_utf8_is_read_as_latin1_with_a_note(tmp_path: Path) -> None:
    src = tmp_path / "legacy.js"
    src.write_bytes("// caf\xe9\nconst o = { rejectUnauthorized: false };\n".encode("latin-1"))
    found, notes = run(src)
    assert found == [("legacy.js", 2, "lint.js.reject_unauthorized_false")]
    assert notes == [("legacy.js", "not UTF-8; read as Latin-1")]


def test_python_with_a_coding_cookie(tmp_path: Path) -> None:
    src = tmp_path / "old.py"
    src.write_bytes(
        b"# -*- coding: latin-1 -*-\nimport ssl\n# \xe9\nc = ssl._create_unverified_context()\n"
    )
    found, _ = run(src)
    assert found == [("old.py", 4, "lint.python.unverified_context")]


def test_binary_file_is_skipped_and_named(tmp_path: Path) -> None:
    (tmp_path / "blob.js").write_bytes(b"\x00\x01\x02rejectUnauthorized: false\x00")
    found, notes = run(tmp_path)
    assert found == [] and notes == [("blob.js", "binary file")]


def test_oversized_minified_js_is_skipped_with_a_note(tmp_path: Path) -> None:
    big = tmp_path / "bundle.min.js"
    chunk = b"var a=function(b,c){return b+c},d={tls:{rejectUnauthorized:!1}};"
    big.write_bytes(chunk * (20 * 1024 * 1024 // len(chunk) + 1))
    assert big.stat().st_size > 20 * 1024 * 1024
    found, notes = run(big)
    assert found == [] and notes == [("bundle.min.js", "larger than the size limit")]


def test_minified_js_under_the_limit_is_scanned(tmp_path: Path) -> None:
    small = tmp_path / "app.min.js"
    filler = b"var a=function(b,c){return b+c};" * 20000
    small.write_bytes(filler + b"var d={tls:{rejectUnauthorized:!1}};")
    found, _ = run(small)
    assert found == [("app.min.js", 1, "lint.js.reject_unauthorized_false")]


def test_python_syntax_error_is_named_with_its_line(tmp_path: Path) -> None:
    src = tmp_path / "broken.py"
    src.write_text("import ssl\nprint 'python 2'\nssl.CERT_NONE\n")
    found, notes = run(src)
    assert found == [] and notes == [("broken.py", "syntax error; not parsed")]


def test_tree_sitter_recovers_and_notes_the_error(tmp_path: Path) -> None:
    src = tmp_path / "half.go"
    src.write_text("package m\nfunc f( {\n\tc := tls.Config{InsecureSkipVerify: true}\n}\n")
    found, notes = run(src)
    assert ("half.go", 3, "lint.go.insecure_skip_verify") in found
    assert notes == [("half.go", "syntax errors; scanned what parsed")]


def test_deeply_nested_python(tmp_path: Path) -> None:
    src = tmp_path / "deep.py"
    src.write_text("import smtplib\nx = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    found, notes = run(src)
    assert found == [] and len(notes) == 1 and notes[0][0] == "deep.py"


def test_deeply_nested_javascript(tmp_path: Path) -> None:
    src = tmp_path / "deep.js"
    depth = 20000
    inner = "{ rejectUnauthorized: false }"
    src.write_text("const o = " + "[" * depth + inner + "]" * depth + ";\n")
    found, _ = run(src)
    assert found == [("deep.js", 1, "lint.js.reject_unauthorized_false")]


def test_a_scanner_bug_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(kind: str, path: str) -> object:
        raise RuntimeError("bug")

    monkeypatch.setattr(engine_module, "scanner", boom)
    (tmp_path / "x.go").write_text("package m // InsecureSkipVerify\n")
    found, notes = run(tmp_path)
    assert found == [("x.go", 1, "lint.internal_error")] and notes == []


def test_files_without_a_scanner_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("rejectUnauthorized: false\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00")
    assert run(tmp_path) == ([], [])


def test_shebang_script_without_suffix(tmp_path: Path) -> None:
    (tmp_path / "smoke").write_text("#!/bin/bash\ncurl -k smtps://mx.example.org\n")
    found, _ = run(tmp_path)
    assert found == [("smoke", 2, "lint.shell.curl_insecure")]


def test_parallel_run_matches_serial(tmp_path: Path) -> None:
    for i in range(40):
        code = f"package m\n\nvar c{i} = tls.Config{{InsecureSkipVerify: true}}\n"
        (tmp_path / f"m{i}.go").write_text(code)
    serial = lint_paths([tmp_path], options=Options(today=TODAY, jobs=1))
    pooled = lint_paths([tmp_path], options=Options(today=TODAY, jobs=2))
    assert [f.location for f in serial.findings] == [f.location for f in pooled.findings]
    assert len(pooled.findings) == 40 and pooled.files_scanned == 40
