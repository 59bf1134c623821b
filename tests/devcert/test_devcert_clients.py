"""More printed snippets run against the real Postfix and Dovecot of the devcert fixtures:
Java (keytool trust store + Jakarta Mail), PHP (PHPMailer), aiosmtplib, mutt, Postfix as
a client relaying to the served Postfix, and Debian's update-ca-certificates (in a private
mount namespace, so the machine's trust store is never touched).

Each runs the text ``mailtls devcert trust --client NAME`` printed, with verification on,
and again with another devcert CA's ca.pem in its place, which must fail.
"""

from __future__ import annotations

import shutil
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest
from devcert_helpers import Servers, run_both, settings, snippet

from servers.ports import free_ports, wait_until
from servers.postfix import Listener, PostfixInstance

pytestmark = pytest.mark.servers
JAKARTA_MAIL = Path("/usr/share/java/jakarta-mail.jar")
JAKARTA_ACTIVATION = Path("/usr/share/java/jakarta-activation.jar")
PHPMAILER = Path("/usr/share/php/libphp-phpmailer/autoload.php")

_JAVA_APP = """\
import jakarta.mail.Session;
import jakarta.mail.Transport;
import java.io.FileReader;
import java.util.Properties;

public class App {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        try (FileReader in = new FileReader("mail.properties")) {
            props.load(in);
        }
        try (Transport transport = Session.getInstance(props).getTransport("smtp")) {
            transport.connect();
            System.out.println("verified");
        }
    }
}
"""


def _need(*tools: str) -> None:
    missing = [t for t in tools if not (Path(t).exists() if "/" in t else shutil.which(t))]
    if missing:
        pytest.skip(f"not installed here: {', '.join(missing)} (scripts/install-deps.sh)")


def _sh(script: str, cwd: Path, *prefix: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, "bash", "-e", "-c", script], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL, cwd=cwd)


def _build_java_app(where: Path) -> None:
    """app.jar: a Jakarta Mail client that loads mail.properties from its working
    directory and connects (the snippet's ``java ... -jar app.jar`` runs it as printed)."""
    src = where / "src"
    src.mkdir()
    (src / "App.java").write_text(_JAVA_APP)
    cp = f"{JAKARTA_MAIL}:{JAKARTA_ACTIVATION}"
    subprocess.run(["javac", "-cp", cp, "-d", str(src), str(src / "App.java")], check=True,
                   capture_output=True, timeout=120)
    (src / "manifest.txt").write_text(f"Main-Class: App\nClass-Path: {JAKARTA_MAIL} "
                                      f"{JAKARTA_ACTIVATION}\n")
    subprocess.run(["jar", "cfm", str(where / "app.jar"), str(src / "manifest.txt"),
                    "-C", str(src), "App.class"], check=True, capture_output=True, timeout=60)


def test_java_snippet(servers: Servers, tmp_path: Path) -> None:
    """keytool builds the trust store the printed java line names; Jakarta Mail, given the
    printed properties (mail.smtp.ssl.trust unset), connects with STARTTLS and verifies."""
    _need("java", "javac", "jar", "keytool", str(JAKARTA_MAIL), str(JAKARTA_ACTIVATION))
    text = snippet(servers.ca_dir, "java", "--port", str(servers.smtp))
    commands, props = text.split("\n\n")
    assert "mail.smtp.ssl.trust" not in props
    _build_java_app(tmp_path)
    (tmp_path / "mail.properties").write_text(props)
    outcomes = []
    for name, ca in (("good", Path(servers.ca)), ("other", servers.other_ca)):
        d = tmp_path / name  # a copy of the CA dir: keytool writes truststore.p12 beside ca.pem
        d.mkdir()
        shutil.copy(ca, d / "ca.pem")
        outcomes.append(_sh(commands.replace(str(servers.ca_dir.resolve()), str(d)), tmp_path))
        assert (d / "truststore.p12").is_file()
    good, other = outcomes
    assert good.returncode == 0 and "verified" in good.stdout, good.stdout + good.stderr
    assert other.returncode != 0
    assert "PKIX path" in other.stderr, other.stderr  # building or validation failed


_PHP_HEAD = f"""<?php
use PHPMailer\\PHPMailer\\PHPMailer;

require '{PHPMAILER}';
$mail = new PHPMailer(true);
"""
_PHP_TAIL = """
try {
    $mail->smtpConnect();
    echo "verified\\n";
    $mail->smtpClose();
} catch (\\PHPMailer\\PHPMailer\\Exception $e) {
    fwrite(STDERR, $e->getMessage() . "\\n");
    exit(1);
}
"""


def test_php_phpmailer_snippet(servers: Servers, tmp_path: Path) -> None:
    """The printed PHPMailer lines between ``new PHPMailer`` and ``smtpConnect()``."""
    _need("php", str(PHPMAILER))
    text = snippet(servers.ca_dir, "php", "--port", str(servers.smtp))
    good, other = run_both(servers, _PHP_HEAD + text + _PHP_TAIL, ["php", "-d",
                           "display_errors=stderr"], ".php", tmp_path)
    assert good.returncode == 0 and "verified" in good.stdout, good.stdout + good.stderr
    assert other.returncode == 1
    assert "certificate verify failed" in other.stderr, other.stderr


def test_aiosmtplib_snippet(servers: Servers, tmp_path: Path) -> None:
    text = snippet(servers.ca_dir, "aiosmtplib", "--port", str(servers.smtp))
    good, other = run_both(servers, text, [sys.executable], ".py", tmp_path)
    assert good.returncode == 0, good.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in other.stderr, other.stderr


def _relay(servers: Servers, ca_text: str) -> PostfixInstance:
    """A second Postfix, configured with the printed main.cf lines, relaying everything to
    the served Postfix (as [localhost]:port) and delivering nothing itself."""
    conf = settings(ca_text)
    conf.update({"myhostname": "relay.localhost", "virtual_mailbox_domains": "",
                 "virtual_mailbox_maps": "", "relayhost": f"[localhost]:{servers.smtp}",
                 "default_transport": "smtp", "relay_transport": "smtp",
                 "smtp_tls_loglevel": "1"})
    (port,) = free_ports(1)
    return PostfixInstance([Listener("submit", port)], main_cf=conf)


@pytest.mark.parametrize("which", ["good", "other"])
def test_postfix_client_snippet(servers: Servers, which: str) -> None:
    """smtp_tls_CAfile with smtp_tls_security_level = secure, as printed: the relay logs
    "Verified TLS connection established" and the message arrives; with another CA it is
    deferred ("Server certificate not verified") and never sent in the clear."""
    text = snippet(servers.ca_dir, "postfix", "--port", str(servers.smtp))
    assert settings(text)["smtp_tls_security_level"] in ("secure", "verify")
    relay = _relay(servers, text if which == "good" else servers.other(text))
    relay.start()
    try:
        port = relay.ports["submit"]
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.sendmail(f"bob-{which}@relay.localhost", ["alice@localhost"],
                          f"Subject: devcert postfix client {which}\r\n\r\nhello\r\n")
        if which == "good":
            relay.wait_for_log(r"Verified TLS connection established to localhost\[127\.0\.0\.1\]"
                               rf":{servers.smtp}", timeout=30)
            relay.wait_for_log(r"status=sent", timeout=30)
        else:
            relay.wait_for_log(r"status=deferred \(Server certificate not verified\)",
                               timeout=30)
            assert "Verified TLS" not in relay.log_text()
            assert "status=sent" not in relay.log_text()
    finally:
        relay.cleanup()


def test_mutt_snippet_smtp(servers: Servers, tmp_path: Path) -> None:
    """mutt in batch mode sends through the printed smtp_url: STARTTLS, verified, and the
    message arrives; with another CA mutt refuses the certificate and sends nothing."""
    _need("mutt")
    text = snippet(servers.ca_dir, "mutt", "--port", str(servers.smtp),
                   "--imap-port", str(servers.imaps))
    outcomes = []
    for name, body in (("good", text), ("other", servers.other(text))):
        rc = tmp_path / f"{name}.muttrc"
        rc.write_text(body)
        outcomes.append(subprocess.run(
            ["mutt", "-n", "-F", str(rc), "-s", f"devcert mutt {name}", "alice@localhost"],
            input="hello\n", capture_output=True, text=True, timeout=60, cwd=tmp_path,
            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TERM": "dumb"}))
    good, other = outcomes
    assert good.returncode == 0, good.stdout + good.stderr
    assert other.returncode == 1
    assert "Untrusted server certificate" in other.stderr, other.stderr
    wait_until(lambda: servers.delivered("devcert mutt good"), 30, "mutt's message")
    assert not servers.delivered("devcert mutt other")


_STORE_SETUP = """\
mkdir -p {t}/certs {t}/local {t}/bin
cp -a /etc/ssl/certs/. {t}/certs/
cp -a /usr/local/share/ca-certificates/. {t}/local/
mount --bind {t}/certs /etc/ssl/certs
mount --bind {t}/local /usr/local/share/ca-certificates
printf '#!/bin/sh\\nexec "$@"\\n' > {t}/bin/sudo && chmod +x {t}/bin/sudo
export PATH={t}/bin:$PATH
probe() {{ curl -sS --ssl-reqd --request NOOP smtp://localhost:{port}; }}
if probe; then echo "trusted before"; exit 3; fi
"""
_STORE_CHECK = """
if probe; then echo TRUSTED; else echo "NOT TRUSTED"; exit 4; fi
rm /usr/local/share/ca-certificates/mailtls-devcert.crt
{revoke}
if probe; then echo "STILL TRUSTED"; exit 5; fi
echo REVOKED
"""


def test_debian_snippet_in_private_mount_namespace(servers: Servers, tmp_path: Path) -> None:
    """The printed cp + update-ca-certificates run in a mount namespace whose
    /etc/ssl/certs and /usr/local/share/ca-certificates are copies (the machine's store is
    untouched): curl without --cacert then verifies the served Postfix; the printed revoke
    (delete, update-ca-certificates --fresh) undoes it. sudo is a pass-through (root)."""
    _need("unshare", "update-ca-certificates", "curl")
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("no mount namespaces here (unshare -m): the debian snippet cannot run "
                    "without changing the machine's trust store")
    text = snippet(servers.ca_dir, "debian", "--port", str(servers.smtp))
    revoke = "sudo update-ca-certificates --fresh"
    assert revoke in text and "/usr/local/share/ca-certificates/mailtls-devcert.crt" in text
    outcomes = []
    for name, body in (("good", text), ("other", servers.other(text))):
        t = tmp_path / name
        script = (_STORE_SETUP.format(t=t, port=servers.smtp) + body
                  + _STORE_CHECK.format(revoke=revoke))
        outcomes.append(_sh(script, tmp_path, "unshare", "-m", "--propagation", "private"))
    good, other = outcomes
    assert good.returncode == 0, good.stdout + good.stderr
    assert "TRUSTED\n" in good.stdout and good.stdout.endswith("REVOKED\n"), good.stdout
    assert other.returncode == 4 and "NOT TRUSTED" in other.stdout, other.stdout + other.stderr
    assert "mailtls-devcert.pem" in other.stdout  # the other CA was added: not enough


def test_ruby_snippet(servers: Servers, tmp_path: Path) -> None:
    """Net::SMTP with the printed SSLContext (VERIFY_PEER, ca_file): STARTTLS, verified,
    the host name checked (net-smtp calls post_connection_check)."""
    _need("ruby")
    text = snippet(servers.ca_dir, "ruby", "--port", str(servers.smtp))
    good, other = run_both(servers, text, ["ruby"], ".rb", tmp_path)
    assert good.returncode == 0, good.stderr
    assert other.returncode != 0 and "certificate verify failed" in other.stderr, other.stderr


_NODE_APP = """\
// STARTTLS with Node's default trusted CAs (no ca option): NODE_EXTRA_CA_CERTS adds ours
const net = require("net");
const tls = require("tls");
const [host, port] = ["localhost", PORT];
const plain = net.connect(port, host);
let said = "";
plain.on("data", (chunk) => {
  said += chunk.toString();
  if (/^220 /m.test(said) && !said.includes("EHLO-SENT")) {
    said += "EHLO-SENT"; plain.write("EHLO client.localhost\\r\\n");
  } else if (/^250 /m.test(said) && !said.includes("STARTTLS-SENT")) {
    said += "STARTTLS-SENT"; plain.write("STARTTLS\\r\\n");
  } else if (said.includes("STARTTLS-SENT") && /^220 /m.test(said.split("STARTTLS-SENT")[1])) {
    plain.removeAllListeners("data");
    const secure = tls.connect({ socket: plain, servername: host }, () => {
      console.log("verified"); secure.end("QUIT\\r\\n"); process.exit(0);
    });
    secure.on("error", (err) => { console.error(err.message); process.exit(1); });
  }
});
plain.on("error", (err) => { console.error(err.message); process.exit(2); });
"""


def test_node_extra_ca_certs_snippet(servers: Servers, tmp_path: Path) -> None:
    """``NODE_EXTRA_CA_CERTS=ca.pem node app.js`` as printed, app.js a STARTTLS client with
    Node's default trust (verification on, servername checked)."""
    _need("node")
    text = snippet(servers.ca_dir, "node", "--port", str(servers.smtp))
    (tmp_path / "app.js").write_text(_NODE_APP.replace("PORT", str(servers.smtp)))
    good, other = run_both(servers, text, ["bash", "-e"], ".sh", tmp_path)
    assert good.returncode == 0 and "verified" in good.stdout, good.stdout + good.stderr
    assert other.returncode == 1, other.stdout + other.stderr
    assert "certificate" in other.stderr, other.stderr
