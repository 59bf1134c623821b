"""mailtls tlsrpt: RFC 8460 reports (the RFC's own example and reports written to its
schema), gzip and plain, and bad input: truncated gzip, not JSON, 100 MB, wrong fields."""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mailtls.domain import tlsrpt as rpt

RFC_EXAMPLE = Path(__file__).parent / "data" / "tlsrpt-rfc8460.json"
MB = 1024 * 1024
SCHEMA = json.loads((Path(__file__).parents[2] / "src/mailtls/schemas/tlsrpt-1.json").read_text())


def mailtls(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailtls", "tlsrpt", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(RFC_EXAMPLE.read_text())
    return doc


def google_dane_report() -> dict[str, Any]:
    """A second organisation, a DANE policy (mx-host as a list), one MX failing TLSA."""
    return {
        "organization-name": "Google LLC",
        "date-range": {"start-datetime": "2016-04-02T00:00:00Z",
                       "end-datetime": "2016-04-02T23:59:59Z"},
        "contact-info": "smtp-tls-reporting@google.com",
        "report-id": "2016-04-02T00:00:00Z_company-y.example",
        "policies": [{
            "policy": {"policy-type": "tlsa", "policy-domain": "company-y.example",
                       "policy-string": ["3 1 1 0123456789abcdef"],
                       "mx-host": ["mx1.mail.company-y.example"]},
            "summary": {"total-successful-session-count": 40,
                        "total-failure-session-count": 7},
            "failure-details": [{"result-type": "tlsa-invalid",
                                 "sending-mta-ip": "209.85.220.41",
                                 "receiving-mx-hostname": "mx1.mail.company-y.example.",
                                 "receiving-ip": "203.0.113.55",
                                 "failed-session-count": 7}],
        }, {
            "policy": {"policy-type": "no-policy-found", "policy-domain": "other.example"},
            "summary": {"total-successful-session-count": 12,
                        "total-failure-session-count": 0},
        }],
    }


def write(path: Path, doc: dict[str, Any], compress: bool = True) -> Path:
    data = json.dumps(doc).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_the_rfc_example_is_summarised_per_type_mx_and_address() -> None:
    report = rpt.parse_report(RFC_EXAMPLE.read_bytes())
    s = rpt.summarise([report])
    (y,) = s.domains
    assert (y.domain, y.successful, y.failed) == ("company-y.example", 5326, 303)
    assert dict(y.result_types) == {"starttls-not-supported": 200, "certificate-expired": 100,
                                    "validation-failure": 3}
    assert dict(y.receiving_mx) == {"mx2.mail.company-y.example": 200,
                                    "mx1.mail.company-y.example": 100,
                                    "mx-backup.mail.company-y.example": 3}
    assert dict(y.receiving_ip) == {"203.0.113.56": 200, "203.0.113.58": 3}
    assert dict(y.error_codes) == {"X509_V_ERR_PROOF_OF_POSSESSION": 3}
    assert y.mx_patterns == {"*.mail.company-y.example"}
    assert (y.start, y.end) == ("2016-04-01T00:00:00Z", "2016-04-01T23:59:59Z")


def test_several_organisations_and_policy_types_add_up() -> None:
    reports = [rpt.parse_report(RFC_EXAMPLE.read_bytes()),
               rpt.parse_report(json.dumps(google_dane_report()).encode())]
    s = rpt.summarise(reports)
    y, other = s.domains
    assert (y.successful, y.failed) == (5366, 310)
    assert dict(y.policy_types) == {"sts": 1, "tlsa": 1}
    orgs = {k: (v.successful, v.failed) for k, v in y.organizations.items()}
    assert orgs == {"Company-X": (5326, 303), "Google LLC": (40, 7)}
    assert y.receiving_mx["mx1.mail.company-y.example"] == 107  # trailing dot folded
    assert y.result_types["tlsa-invalid"] == 7
    assert (other.domain, other.successful, other.failed) == ("other.example", 12, 0)
    assert (y.start, y.end) == ("2016-04-01T00:00:00Z", "2016-04-02T23:59:59Z")


def test_a_report_received_twice_counts_once() -> None:
    report = rpt.parse_report(RFC_EXAMPLE.read_bytes())
    s = rpt.summarise([report, report])
    assert (s.reports, s.duplicates, s.domains[0].failed) == (1, 1, 303)


def test_gzip_with_several_members_is_read_whole() -> None:
    data = json.dumps(example()).encode()
    half = len(data) // 2
    two = gzip.compress(data[:half]) + gzip.compress(data[half:])
    assert rpt.parse_report(two) == rpt.parse_report(data)


@pytest.mark.parametrize(("mutate", "where"), [
    (lambda d: d.pop("policies"), "policies: missing"),
    (lambda d: d.__setitem__("policies", {}), "policies: a list is expected"),
    (lambda d: d["policies"][0]["summary"].__setitem__(
        "total-failure-session-count", "303"), "policies[0].summary.total-failure-session-count"),
    (lambda d: d["policies"][0]["summary"].__setitem__(
        "total-successful-session-count", -1), "total-successful-session-count"),
    (lambda d: d["policies"][0]["failure-details"][1].pop("result-type"),
     "policies[0].failure-details[1].result-type: missing"),
    (lambda d: d["policies"][0]["failure-details"][2].__setitem__("failed-session-count", True),
     "failure-details[2].failed-session-count"),
    (lambda d: d["policies"][0]["policy"].__setitem__("mx-host", [1]), "mx-host"),
    (lambda d: d["date-range"].pop("end-datetime"), "date-range.end-datetime: missing"),
    (lambda d: d["policies"].__setitem__(0, "sts"), "policies[0]: an object is expected"),
])
def test_wrong_fields_are_named(mutate: Any, where: str) -> None:
    doc = copy.deepcopy(example())
    mutate(doc)
    with pytest.raises(rpt.ReportError) as err:
        rpt.parse_report(json.dumps(doc).encode())
    assert err.value.finding_id == rpt.E_FIELDS
    assert where in err.value.reason


def test_truncated_gzip_is_named() -> None:
    data = gzip.compress(json.dumps(example()).encode())
    for cut in (len(data) - 1, len(data) // 2, 12):
        with pytest.raises(rpt.ReportError) as err:
            rpt.parse_report(data[:cut])
        assert err.value.finding_id == rpt.E_GZIP, cut


def test_corrupt_gzip_and_not_json_are_named() -> None:
    data = bytearray(gzip.compress(json.dumps(example()).encode()))
    data[20] ^= 0xFF
    with pytest.raises(rpt.ReportError) as err:
        rpt.parse_report(bytes(data))
    assert err.value.finding_id == rpt.E_GZIP
    for junk in (b"From: reports@x\r\n\r\nnot json", b"\xff\xfe\x00", b"[" * 100000):
        with pytest.raises(rpt.ReportError) as err:
            rpt.parse_report(junk)
        assert err.value.finding_id == rpt.E_JSON


def test_a_gzip_bomb_stops_at_the_limit() -> None:
    """100 MB of JSON whitespace in a few hundred KB of gzip: refused after limit bytes."""
    packer = zlib.compressobj(9, wbits=31)
    chunk = b" " * MB
    bomb = b"".join(packer.compress(chunk) for _ in range(100)) + packer.flush()
    assert len(bomb) < MB
    with pytest.raises(rpt.ReportError) as err:
        rpt.decompress(bomb, limit=4 * MB)
    assert err.value.finding_id == rpt.E_TOO_LARGE
    assert len(rpt.decompress(bomb, limit=101 * MB)) == 100 * MB  # the limit, not the data


def test_cli_summarises_the_good_files_and_names_the_bad(tmp_path: Path) -> None:
    good = write(tmp_path / "x.json.gz", example())
    plain = write(tmp_path / "google.json", google_dane_report(), compress=False)
    truncated = tmp_path / "truncated.json.gz"
    truncated.write_bytes(good.read_bytes()[:-10])
    notjson = tmp_path / "mail.eml"
    notjson.write_text("Subject: Report Domain: company-y.example\n\nhello\n")
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(100 * MB)  # a sparse 100 MB file: only max-size + 1 bytes are read
    fields = write(tmp_path / "fields.json.gz", {"organization-name": "Z"})
    missing = tmp_path / "missing.json.gz"
    run = mailtls("--json", str(good), str(truncated), str(plain), str(notjson), str(huge),
                  str(fields), str(missing))
    assert run.returncode == 66, run.stderr
    doc = json.loads(run.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["schema"] == 1 and doc["reports"] == 2
    y = next(d for d in doc["domains"] if d["policy_domain"] == "company-y.example")
    assert (y["successful_sessions"], y["failed_sessions"]) == (5366, 310)
    assert y["result_types"]["starttls-not-supported"] == 200
    assert [o["organization"] for o in y["organizations"]] == ["Company-X", "Google LLC"]
    assert y["receiving_ip"]["203.0.113.56"] == 200
    errors = {Path(e["location"]["file"] if e.get("location") else e["params"]["file"]).name:
              e["id"] for e in doc["errors"]}
    assert errors == {"truncated.json.gz": "tlsrpt.report_gzip",
                      "mail.eml": "tlsrpt.report_json", "huge.json": "tlsrpt.report_too_large",
                      "fields.json.gz": "tlsrpt.report_fields",
                      "missing.json.gz": "tlsrpt.report_unreadable"}
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_cli_terminal_output(tmp_path: Path, lang: str) -> None:
    good = write(tmp_path / "x.json.gz", example())
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(good.read_bytes()[:30])
    run = mailtls("--lang", lang, str(good), str(bad))
    assert run.returncode == 66
    out = run.stdout
    assert "company-y.example" in out and "5326" in out and "303" in out
    assert "mx2.mail.company-y.example" in out and "starttls-not-supported" in out
    assert "tlsrpt.report_gzip" in out and "bad.json.gz" in out
    if lang == "zh_CN":
        assert "失败类型" in out and "未提供 STARTTLS 命令" in out and "发送组织" in out
    else:
        assert "Failure types" in out and "the STARTTLS command is not offered" in out


def test_exit_status_without_failures_is_0(tmp_path: Path) -> None:
    doc = google_dane_report()
    doc["policies"] = doc["policies"][1:]
    assert mailtls(str(write(tmp_path / "ok.json.gz", doc))).returncode == 0
    assert mailtls(str(write(tmp_path / "x.json.gz", example()))).returncode == 1
