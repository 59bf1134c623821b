import json
from pathlib import Path

from mailtls.catalog import new_finding
from mailtls.export.sarif import render_sarif
from mailtls.model import Location


def test_sarif_log_shape(tmp_path: Path) -> None:
    src = tmp_path / "app.py"
    src.write_text("x = 1\n")
    findings = [
        new_finding(
            "cert.expired",
            subject="CN=a",
            not_after="2026",
            days="1",
            location=Location(str(src), 1, 5, snippet="x = 1"),
            fix="renew",
        ),
        new_finding("cert.expired", subject="CN=b", not_after="2026", days="2"),
        new_finding(
            "cert.weak_key",
            subject="CN=c",
            key="RSA 1024",
            minimum="2048",
            location=Location("/elsewhere/cfg", 3),
        ),
    ]
    log = json.loads(render_sarif(findings, "en", base=tmp_path))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["cert.expired", "cert.weak_key"]
    assert "external/cwe/cwe-298" in rules[0]["properties"]["tags"]
    assert rules[0]["defaultConfiguration"]["level"] == "error"
    first, second, third = run["results"]
    assert first["ruleIndex"] == 0 and third["ruleIndex"] == 1
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "app.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 1, "startColumn": 5, "snippet": {"text": "x = 1"}}
    assert first["properties"]["fix"] == "renew"
    assert "locations" not in second
    assert (
        third["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "file:///elsewhere/cfg"
    )
    zh = json.loads(render_sarif(findings[:1], "zh_CN"))
    assert zh["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"]["text"] == "证书已过期"
