"""mailtls devcert init / issue / trust: files, constraints, and every refusal named."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification
from devcert_helpers import mailtls

from mailtls.pki import devca
from mailtls.pki.names import DEFAULT_DNS, NameRefused, Permitted, parse_name, parse_names
from mailtls.pki.snippets import CLIENTS


def _load(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_init_writes_ca_readme_and_no_root_key(ca_dir: Path) -> None:
    names = sorted(p.name for p in ca_dir.iterdir())
    assert names == ["README.txt", "ca.pem", "intermediate-key.pem", "intermediate.pem"]
    assert stat.S_IMODE((ca_dir / "intermediate-key.pem").stat().st_mode) == 0o600
    root = _load(ca_dir / "ca.pem")[0]
    inter = _load(ca_dir / "intermediate.pem")[0]
    # the root key is gone: the only private key in DIR is the intermediate's
    root_pub = root.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    for p in ca_dir.iterdir():
        if b"PRIVATE KEY" in p.read_bytes():
            key = serialization.load_pem_private_key(p.read_bytes(), None)
            pub = key.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
            assert pub != root_pub, f"{p.name} holds the root key"
            assert pub == inter.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    for cert in (root, inter):  # both carry the constraints, critical
        nc = cert.extensions.get_extension_for_class(x509.NameConstraints)
        assert nc.critical
        dns = [g.value for g in nc.value.permitted_subtrees or () if isinstance(g, x509.DNSName)]
        assert dns == list(DEFAULT_DNS)
    readme = (ca_dir / "README.txt").read_text()
    assert "revoke" in readme and "ca.pem" in readme and "test, localhost" in readme


def test_issue_writes_chain_key_and_verifies(ca_dir: Path) -> None:
    r = mailtls("devcert", "issue", "--dir", str(ca_dir), "mail.test", "*.mail.test",
                "127.0.0.1", "::1")
    assert r.status == 0, r.err
    chain = _load(ca_dir / "mail.test.pem")
    assert len(chain) == 2 and chain[1] == _load(ca_dir / "intermediate.pem")[0]
    leaf = chain[0]
    assert stat.S_IMODE((ca_dir / "mail.test-key.pem").stat().st_mode) == 0o600
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["mail.test", "*.mail.test"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1"),
                                                        ipaddress.ip_address("::1")]
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
    days = (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days
    assert days == devca.DEFAULT_DAYS
    store = verification.Store(_load(ca_dir / "ca.pem"))
    for name in (x509.DNSName("imap.mail.test"), x509.IPAddress(ipaddress.ip_address("::1"))):
        verification.PolicyBuilder().store(store).build_server_verifier(name).verify(
            leaf, chain[1:])


def test_issue_rsa_and_days(ca_dir: Path) -> None:
    assert mailtls("devcert", "issue", "--dir", str(ca_dir), "--key", "rsa", "--days", "397",
                   "a.internal").status == 0
    leaf = _load(ca_dir / "a.internal.pem")[0]
    assert leaf.public_key().key_size == 2048  # type: ignore[union-attr]
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days == 397


@pytest.mark.parametrize(("args", "error_id"), [
    (["example.com"], "devcert.name_not_permitted"),
    (["mail.test", "8.8.8.8"], "devcert.name_not_permitted"),
    (["mail.*.test"], "devcert.wildcard_misplaced"),
    (["*mail.test"], "devcert.wildcard_misplaced"),
    (["*.*.mail.test"], "devcert.wildcard_misplaced"),
    (["*.test"], "devcert.wildcard_too_wide"),
    (["mail_relay.test"], "devcert.bad_idna"),
    (["xn--zz.test"], "devcert.bad_idna"),
    (["a\u200d.test"], "devcert.bad_idna"),
    (["300.1.1.1"], "devcert.bad_ip"),
    (["fe80::1%eth0"], "devcert.bad_ip"),
    ([f"h{i}.test" for i in range(101)], "devcert.too_many_names"),
    (["--days", "398", "mail.test"], "devcert.bad_days"),
    (["--days", "0", "mail.test"], "devcert.bad_days"),
    ([], "devcert.no_names"),
])
def test_issue_refusals_are_named(ca_dir: Path, args: list[str], error_id: str) -> None:
    before = sorted(p.name for p in ca_dir.iterdir())
    r = mailtls("devcert", "issue", "--dir", str(ca_dir), *args)
    assert r.status == 64, r
    assert f"({error_id})" in r.err
    assert "Traceback" not in r.err
    assert sorted(p.name for p in ca_dir.iterdir()) == before  # nothing written


def test_public_name_refusal_says_why_in_both_languages(ca_dir: Path) -> None:
    r = mailtls("devcert", "issue", "--dir", str(ca_dir), "mail.example.com")
    assert "cannot vouch for it: its name constraints permit only test, localhost" in r.err
    zh = mailtls("devcert", "issue", "--dir", str(ca_dir), "--lang", "zh_CN", "mail.example.com")
    assert "此开发 CA 无法为其担保" in zh.err and "(devcert.name_not_permitted)" in zh.err


def test_idna_names_are_converted(ca_dir: Path) -> None:
    r = mailtls("devcert", "issue", "--dir", str(ca_dir), "Bücher.TEST", "ﬁle.test")
    assert r.status == 0, r.err
    assert "xn--bcher-kva.test" in r.out
    san = _load(ca_dir / "xn--bcher-kva.test.pem")[0].extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["xn--bcher-kva.test", "file.test"]


def test_permit_adds_a_subtree(tmp_path: Path) -> None:
    d = tmp_path / "ca"
    assert mailtls("devcert", "init", "--dir", str(d), "--permit", ".dev.example.com",
                   "--permit", "100.64.0.0/10").status == 0
    assert mailtls("devcert", "issue", "--dir", str(d), "mx.dev.example.com",
                   "100.64.1.2").status == 0
    assert mailtls("devcert", "issue", "--dir", str(d), "example.com").status == 64


@pytest.mark.parametrize(("permit", "error_id"), [
    (".", "devcert.permit_everything"), ("0.0.0.0/0", "devcert.permit_everything"),
    ("::/0", "devcert.permit_everything"), ("*.example.com", "devcert.bad_permit"),
    ("10.0.0.0/33", "devcert.bad_permit"),
])
def test_bad_permit_is_named(tmp_path: Path, permit: str, error_id: str) -> None:
    r = mailtls("devcert", "init", "--dir", str(tmp_path / "ca"), "--permit", permit)
    assert r.status == 64 and f"({error_id})" in r.err
    assert not (tmp_path / "ca").exists()


def test_existing_dir_is_never_overwritten_without_force(ca_dir: Path) -> None:
    old = (ca_dir / "ca.pem").read_bytes()
    r = mailtls("devcert", "init", "--dir", str(ca_dir))
    assert r.status == 64 and "(devcert.dir_exists)" in r.err
    assert (ca_dir / "ca.pem").read_bytes() == old
    zh = mailtls("devcert", "init", "--dir", str(ca_dir), "--lang", "zh_CN")
    assert "已存在且不为空" in zh.err
    assert mailtls("devcert", "init", "--dir", str(ca_dir), "--force").status == 0
    assert (ca_dir / "ca.pem").read_bytes() != old


def test_dir_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    r = mailtls("devcert", "init", "--dir", str(f))
    assert r.status == 64 and "(devcert.dir_not_a_directory)" in r.err
    r = mailtls("devcert", "init", "--dir", str(f / "sub"))
    assert r.status == 64 and "(devcert.dir_not_writable)" in r.err


def test_read_only_dir() -> None:
    base = Path(tempfile.mkdtemp(prefix="mailtls-devcert-ro-"))  # pytest's tmp is 0700
    base.chmod(0o755)
    ro = base / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    euid = os.geteuid()
    if euid == 0:  # root writes anywhere: drop to nobody for the attempt
        os.seteuid(65534)
    try:
        r = mailtls("devcert", "init", "--dir", str(ro / "ca"))
    finally:
        if euid == 0:
            os.seteuid(0)
    shutil.rmtree(base)
    assert r.status == 64, r
    assert "(devcert.dir_not_writable)" in r.err and "Permission denied" in r.err


def test_issue_without_ca_is_named(tmp_path: Path) -> None:
    r = mailtls("devcert", "issue", "--dir", str(tmp_path / "none"), "mail.test")
    assert r.status == 64 and "(devcert.no_ca)" in r.err
    r = mailtls("devcert", "trust", "--dir", str(tmp_path / "none"))
    assert r.status == 64 and "(devcert.no_ca)" in r.err


def test_trust_prints_every_client_with_paths(ca_dir: Path) -> None:
    mailtls("devcert", "issue", "--dir", str(ca_dir), "mail.test")
    out = mailtls("devcert", "trust", "--dir", str(ca_dir)).out
    ca = str(ca_dir.resolve() / "ca.pem")
    for needle in ("smtp_tls_CAfile = " + ca, "smtpd_tls_chain_files = ", "ssl_client_ca_file",
                   "create_default_context(cafile=", "keytool -importcert",
                   "javax.net.ssl.trustStore", "tls: { ca: fs.readFileSync(",
                   "NODE_EXTRA_CA_CERTS=", "'cafile' =>", "RootCAs: roots",
                   "X509ChainTrustMode.CustomRootTrust", "CustomTrustStore",
                   "OpenSSL::SSL::VERIFY_PEER", "tls_trust_file " + ca,
                   "ssl_ca_certificates_file", "--cacert", "--tls-verify",
                   "update-ca-certificates", "Warning:", "mail.test-key.pem"):
        assert needle in out, needle
    for bad in ("rejectUnauthorized: false", "CERT_NONE", "InsecureSkipVerify",
                "verify_peer' => false", "ssl.trust=*", "tls_certcheck off", " -k "):
        assert bad not in out
    zh = mailtls("devcert", "trust", "--dir", str(ca_dir), "--lang", "zh_CN",
                 "--client", "debian").out
    assert "警告：" in zh
    assert len(CLIENTS) == 19


def test_parse_name_units() -> None:
    assert parse_name("[::1]").ip == ipaddress.ip_address("::1")
    assert parse_name("Mail.Test.").dns == "mail.test"
    assert parse_name("*.Bücher.test").dns == "*.xn--bcher-kva.test"
    assert parse_name("*.mail.test").file_stem() == "_wildcard.mail.test"
    assert len(parse_names(["a.test", "A.test", "a.test."])) == 1
    with pytest.raises(NameRefused):
        Permitted.build().check([parse_name("test.example")])
    Permitted.build().check([parse_name("x.localhost"), parse_name("192.168.1.1"),
                             parse_name("fd00::1"), parse_name("a.b.home.arpa")])
    with pytest.raises(NameRefused):  # a suffix match is by label, not by characters
        Permitted.build().check([parse_name("latest")])


def test_issue_lifetime_never_beyond_the_intermediate(ca_dir: Path) -> None:
    ca = devca.load(ca_dir)
    late = ca.intermediate.not_valid_after_utc - dt.timedelta(days=10)
    cert, _ = ca.issue(parse_names(["mail.test"]), late, days=397)
    assert cert.not_valid_after_utc == ca.intermediate.not_valid_after_utc


PHP_QUIRKY = "café $HOME 'q' \\ x"


@pytest.mark.skipif(not shutil.which("php"), reason="php is not installed")
def test_php_snippet_keeps_a_quirky_path(tmp_path: Path) -> None:
    """PHP reads the printed cafile as the real path: no $ interpolation, no JSON \\u
    escapes (which PHP leaves as they are), quotes and backslashes escaped; and the
    constant's class name is fully qualified, so it resolves beside the usual
    ``use PHPMailer\\PHPMailer\\PHPMailer;`` (a qualified name would be read relative to
    that alias: PHPMailer\\PHPMailer\\PHPMailer\\PHPMailer\\PHPMailer, not found)."""
    import subprocess

    d = tmp_path / PHP_QUIRKY / "ca"
    assert mailtls("devcert", "init", "--dir", str(d)).status == 0
    r = mailtls("devcert", "trust", "--dir", str(d), "--client", "php", "--host", "localhost")
    assert r.status == 0, r.err
    # as PHPMailer's README has it: `use PHPMailer\PHPMailer\PHPMailer;` in the file
    code = ("namespace PHPMailer\\PHPMailer {\n"
            "class PHPMailer { const ENCRYPTION_STARTTLS = 'tls'; }\n}\n"
            "namespace {\nuse PHPMailer\\PHPMailer\\PHPMailer;\n"
            "$mail = new class { public function isSMTP(): void {} };\n"
            + r.out + "echo $mail->SMTPOptions['ssl']['cafile'], \"\\n\", $mail->Host;\n}\n")
    (tmp_path / "t.php").write_text("<?php\n" + code)
    out = subprocess.run(["php", str(tmp_path / "t.php")], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [str((d / "ca.pem").resolve()), "localhost"], out.stdout


def test_two_cas_made_in_the_same_second_have_different_names() -> None:
    """Clients that build paths by name must never mix two development CAs."""
    import datetime as dt

    from mailtls.pki.devca import DevCA
    from mailtls.pki.names import Permitted

    now = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
    a, b = (DevCA.create(Permitted.build(), now) for _ in range(2))
    assert a.root.subject != b.root.subject
    assert a.intermediate.subject != b.intermediate.subject
