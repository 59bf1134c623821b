"""The lab's own sentences come from the catalogue (part output), in English and Chinese; and
a count of bytes takes its plural from gettext (client.response_injection)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from mailtls.catalog import describe, new_finding
from mailtls.cli.lab import _check, _endpoint_table
from mailtls.lab.servers import Endpoint
from mailtls.model import ScanResult
from mailtls.targets import parse_target

GOOD = Endpoint("expired", "smtp", "127.0.0.1", 2525, "expired", "cert.expired", "expired")
BAD = Endpoint("self", "imaps", "127.0.0.1", 2993, "self_signed", "cert.self_signed", "self")


def result(endpoint: Endpoint, finding_id: str) -> ScanResult:
    return ScanResult(parse_target(endpoint.url), None, None, None, None, (),
                      (new_finding(finding_id, primary=True),), True)  # fmt: skip


def console(terminal: bool = False) -> Console:
    return Console(file=io.StringIO(), width=200, force_terminal=terminal)


@pytest.mark.parametrize(
    ("lang", "mismatch", "count"),
    [
        ("en", "MISMATCH imaps://localhost:2993: expected cert.self_signed, got cert.expired",
         "1/2 diagnoses match what the lab set up"),
        ("zh_CN", "不符 imaps://localhost:2993：预期 cert.self_signed，实际为 cert.expired",
         "1/2 个诊断与实验环境的设定相符"),
    ],
)
def test_check_speaks_the_language(lang: str, mismatch: str, count: str) -> None:
    out = console()
    status = _check([GOOD, BAD], [result(GOOD, "cert.expired"), result(BAD, "cert.expired")],
                    out, lang)  # fmt: skip
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert status == 1
    assert mismatch in text and count in text


def test_endpoint_table_in_chinese(tmp_path: Path) -> None:
    lab = SimpleNamespace(endpoints=[GOOD], directory=tmp_path, ca_file=tmp_path / "ca.pem")
    out = console(terminal=True)  # the table, with its headings
    _endpoint_table(lab, out, "zh_CN")  # type: ignore[arg-type]
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert "情况" in text and "预期发现" in text
    assert f"CA：{tmp_path / 'ca.pem'}" in text
    assert f"扫描它：mailtls scan --ca-file {tmp_path / 'ca.pem'} --targets" in text


def test_lab_usage_error_in_chinese() -> None:
    env = {**os.environ, "LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": ""}
    args = ["lab", "--lang", "zh_CN", "--host", "10.0.0.1"]
    p = subprocess.run([sys.executable, "-m", "mailtls", *args], capture_output=True, text=True,
                       env=env, timeout=60)  # fmt: skip
    assert p.returncode == 64
    assert "--host 必须是环回地址（127.0.0.0/8）" in p.stderr


@pytest.mark.parametrize(
    ("count", "en", "zh"),
    [("1", "sent 1 byte of extra data", "发送了 1 字节的额外数据"),
     ("3", "sent 3 bytes of extra data", "发送了 3 字节的额外数据")],
)
def test_injected_bytes_counted(count: str, en: str, zh: str) -> None:
    finding = new_finding("client.response_injection", bytes=count)
    assert en in describe(finding, "en").detail
    assert zh in describe(finding, "zh_CN").detail
