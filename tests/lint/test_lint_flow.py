"""Accepting paths of callbacks, constant folding, and Python newer than the interpreter."""

from __future__ import annotations

import pytest

from mailtls.lint import pydown
from mailtls.lint.flow import UNKNOWN, accepting_path, constants, fold
from mailtls.lint.python import scan_python
from mailtls.lint.treesitter import descendants, parse


def _cs_body(src: str):
    head = "class A { bool V(object s, X509Certificate c, X509Chain ch, SslPolicyErrors e) { "
    root = parse("csharp", (head + src + " } }").encode()).root_node
    return next(n for n in descendants(root) if n.type == "block")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ("Log(e); return true;", "returns true on every path"),
        ("if (e == SslPolicyErrors.None) return true; if (c.Subject.Contains(\"localhost\")) "
         "return true; return false;",
         "returns true when not (e == SslPolicyErrors.None) and c.Subject.Contains(\"localhost\")"),
        ("return e == SslPolicyErrors.RemoteCertificateNameMismatch || e == SslPolicyErrors.None;",
         "returns e == SslPolicyErrors.RemoteCertificateNameMismatch on every path"),
        ("if (DevMode) return true; return e == SslPolicyErrors.None;",
         "returns true when DevMode"),
    ],
)
def test_accepting_path_is_reported(body: str, path: str) -> None:
    found = accepting_path(_cs_body(body), "bool")
    assert found is not None and found.describe("returns") == path


@pytest.mark.parametrize(
    "body",
    [
        "return e == SslPolicyErrors.None;",
        "if (e != SslPolicyErrors.None) { Log(e); return false; } return true;",
        "if (e == SslPolicyErrors.None) return true; return c.GetCertHashString() == Pin;",
        "return chain.Build(new X509Certificate2(c));",
    ],
)
def test_verified_paths_are_not_findings(body: str) -> None:
    assert accepting_path(_cs_body(body), "bool") is None


def test_fold_follows_constants_and_marks_unknown_parts() -> None:
    src = (b'class A { static final String P = "mail."; '
           b'void f(String proto) { put(P + proto + ".ssl.trust", "*"); } }')
    root = parse("java", src).root_node
    call = next(n for n in descendants(root) if n.type == "method_invocation")
    key = call.child_by_field_name("arguments").named_children[0]
    assert fold(key, constants(root)) == f"mail.{UNKNOWN}.ssl.trust"


NEWER = (
    'type Pair[K] = tuple[K, K]\ndef f[T](x: T):\n    y = f"{x["k"]}"\n'
    "    return ssl._create_unverified_context()\n"
)


def test_newer_python_is_scanned_with_lines_kept() -> None:
    scan = scan_python(NEWER)
    assert [(h.rule, h.line) for h in scan.hits] == [("lint.python.unverified_context", 4)]
    assert scan.notes == []


def test_newer_python_without_the_grammar_is_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydown, "downlevel", lambda source: None)
    scan = scan_python(NEWER)
    assert scan.hits == [] and scan.notes[0][1] == "syntax error; not parsed"
