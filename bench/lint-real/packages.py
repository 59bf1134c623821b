"""The pinned packages of the real-world lint benchmark, and how to fetch and unpack them.

Each package is fetched with the ordinary client of its registry into a cache outside the
repository (``$MAILTLS_LINT_REAL_CACHE``, default ``~/.cache/mailtls-lint-real``):

- ``pypi``: ``pip download --no-deps --no-binary :all: NAME==VER`` (the sdist);
- ``npm``: ``npm pack NAME@VER`` (the published tarball);
- ``deb-src``: ``apt-get source --download-only NAME=VER`` through a private apt
  configuration in the cache (this machine's /etc/apt has no deb-src lines, and we do not
  change it); the upstream ``.orig.tar.*`` is unpacked (Debian's patches are not applied);
- ``deb``: ``apt-get download NAME=VER`` + ``dpkg-deb -x`` for Debian binary packages that
  ship source files (PHP, Ruby, Go ``-dev``, Rust ``librust-*-dev``).

The unpacked trees land in ``CACHE/src/<ecosystem>/<name>-<version>/``; truth.tsv paths are
relative to that folder. Nothing downloaded is ever written inside the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(
    os.environ.get("MAILTLS_LINT_REAL_CACHE", Path.home() / ".cache" / "mailtls-lint-real")
)
SRC = CACHE / "src"
DL = CACHE / "dl"
APT = CACHE / "apt"
SNAPSHOT = "bookworm"  # Debian suite of the deb and deb-src packages


@dataclass(frozen=True)
class Package:
    eco: str  # pypi | npm | deb | deb-src
    name: str
    version: str
    language: str  # main language of the package (the tables count by file type)
    what: str

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version.split(':')[-1]}"  # no epoch colon in paths

    @property
    def root(self) -> Path:
        return SRC / self.eco / self.key


PACKAGES: tuple[Package, ...] = (
    # Python, PyPI sdists
    Package("pypi", "aiosmtplib", "5.1.3", "python", "asyncio SMTP client"),
    Package("pypi", "imapclient", "4.1.0", "python", "IMAP client"),
    Package("pypi", "managesieve", "0.8.1", "python", "ManageSieve client"),
    Package("pypi", "sievelib", "1.6.0", "python", "Sieve parser and ManageSieve client"),
    Package("pypi", "twisted", "26.10.0", "python", "Twisted (twisted.mail: SMTP/IMAP/POP3)"),
    Package("pypi", "django", "5.2.19", "python", "Django (SMTP email backend)"),
    Package("pypi", "yagmail", "0.16.0", "python", "Gmail/SMTP sender"),
    Package("pypi", "flask-mail", "0.10.0", "python", "Flask mail extension"),
    Package("pypi", "exchangelib", "5.6.0", "python", "Exchange EWS client"),
    Package("pypi", "imap-tools", "1.16.0", "python", "IMAP client"),
    # JavaScript, npm tarballs
    Package("npm", "nodemailer", "10.6.1", "javascript", "SMTP client"),
    Package("npm", "imapflow", "2.10.2", "javascript", "IMAP client"),
    Package("npm", "emailjs", "5.0.3", "javascript", "SMTP client"),
    Package("npm", "smtp-server", "3.21.6", "javascript", "SMTP server"),
    Package("npm", "haraka", "3.3.4", "javascript", "mail server (outbound TLS, plugins)"),
    Package("npm", "imap", "0.8.19", "javascript", "node-imap client"),
    Package("npm", "mail-notifier", "0.5.0", "javascript", "IMAP new-mail notifier"),
    Package("npm", "emailjs-imap-client", "3.1.0", "javascript", "IMAP client"),
    Package("npm", "node-pop3", "0.11.0", "javascript", "POP3 client"),
    # Java, Debian source packages
    Package("deb-src", "javamail", "1.6.5-2", "java", "JavaMail 1.6.5 (com.sun.mail)"),
    Package("deb-src", "commons-email", "1.5-3", "java", "Apache Commons Email"),
    Package("deb-src", "libcommons-net-java", "3.9.0-1", "java", "Commons Net (SMTP/IMAP/POP3)"),
    # PHP, Debian binary packages (they ship the PHP sources)
    Package("deb", "libphp-phpmailer", "6.6.3-1", "php", "PHPMailer"),
    Package("deb", "roundcube-core", "1.6.5+dfsg-1+deb12u14", "php", "Roundcube webmail"),
    Package("deb", "php-symfony-mailer", "5.4.53+dfsg-0+deb12u1", "php", "Symfony Mailer"),
    Package("deb", "php-swiftmailer", "6.3.0-3", "php", "SwiftMailer"),
    Package("deb", "php-horde-imap-client", "2.30.6-3", "php", "Horde IMAP client"),
    Package("deb", "php-horde-smtp", "1.9.6-2", "php", "Horde SMTP client"),
    # Go, Debian -dev packages (Go sources under /usr/share/gocode)
    Package("deb", "golang-github-emersion-go-imap-dev", "1.2.0-2", "go", "go-imap"),
    Package("deb", "golang-github-emersion-go-smtp-dev", "0.12.1-1", "go", "go-smtp"),
    Package("deb", "golang-github-xhit-go-simple-mail-dev", "2.13.0-1", "go", "go-simple-mail"),
    Package("deb", "golang-gopkg-mail.v2-dev", "2.3.1-2", "go", "gomail v2 (go-mail/mail)"),
    # Ruby, Debian packages
    Package("deb", "ruby-mail", "2.7.1+dfsg1-2", "ruby", "Ruby mail gem"),
    Package("deb", "ruby-mail-room", "0.10.0+really0.0.9-3", "ruby", "mail_room (IMAP idler)"),
    Package("deb", "ruby-actionmailer", "2:6.1.7.10+dfsg-1~deb12u4", "ruby", "Rails Action Mailer"),
    # Rust, Debian librust-*-dev (crate sources under /usr/share/cargo/registry)
    Package("deb", "librust-native-tls-dev", "0.2.11-1", "rust", "native-tls"),
    Package("deb", "librust-tokio-native-tls-dev", "0.3.0-1+b1", "rust", "tokio-native-tls"),
    Package("deb", "librust-reqwest-dev", "0.11.13-1", "rust", "reqwest (HTTP; TLS switches)"),
)


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"fetch failed: {' '.join(cmd)}\n{done.stderr.strip()[-2000:]}")


def _apt_env() -> dict[str, str]:
    """A private apt configuration with deb-src lines; /etc/apt is left alone."""
    lists = APT / "lists"
    (lists / "partial").mkdir(parents=True, exist_ok=True)
    (APT / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    (APT / "sources.list").write_text(
        f"deb-src http://deb.debian.org/debian {SNAPSHOT} main\n"
        f"deb-src http://deb.debian.org/debian-security {SNAPSHOT}-security main\n"
    )
    (APT / "apt.conf").write_text(
        f'Dir::Etc::SourceList "{APT / "sources.list"}";\n'
        'Dir::Etc::SourceParts "/nonexistent";\n'
        f'Dir::State::Lists "{lists}";\n'
        f'Dir::Cache "{APT / "cache"}";\n'
    )
    env = dict(os.environ, APT_CONFIG=str(APT / "apt.conf"))
    if not any(lists.glob("*Sources*")):
        _run(["apt-get", "update", "-q"], APT, env)
    return env


def _unpack_archive(archive: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            z.extractall(target)
    else:
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
    inner = list(target.iterdir())
    if len(inner) == 1 and inner[0].is_dir():  # flatten name-version/ and npm's package/
        for child in inner[0].iterdir():
            child.rename(target / child.name)
        inner[0].rmdir()


def fetch(pkg: Package) -> None:
    if pkg.root.is_dir() and any(pkg.root.iterdir()):
        return
    work = DL / pkg.eco / pkg.key
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    tmp = pkg.root.with_name(pkg.root.name + ".part")
    if tmp.exists():
        shutil.rmtree(tmp)
    if pkg.eco == "pypi":
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        _run([*pip, "-d", str(work), f"{pkg.name}=={pkg.version}"], work)
        _unpack_archive(next(work.iterdir()), tmp)
    elif pkg.eco == "npm":
        _run(["npm", "pack", "--silent", f"{pkg.name}@{pkg.version}"], work)
        _unpack_archive(next(work.glob("*.tgz")), tmp)
    elif pkg.eco == "deb":
        _run(["apt-get", "download", "-q", f"{pkg.name}={pkg.version}"], work)
        tmp.mkdir(parents=True)
        _run(["dpkg-deb", "-x", str(next(work.glob("*.deb"))), str(tmp)], work)
    elif pkg.eco == "deb-src":
        env = _apt_env()
        # Only the upstream tarball is unpacked (the mirror here lacks some .debian.tar.xz,
        # and Debian's packaging files hold no client code): apt may fail on the rest.
        cmd = ["apt-get", "source", "-q", "--download-only", f"{pkg.name}={pkg.version}"]
        subprocess.run(cmd, cwd=work, capture_output=True, env=env, check=False)
        orig = next(work.glob("*.orig.tar.*"), None)
        if orig is None:
            _run(cmd, work, env)  # reports apt's own error
            raise SystemExit(f"fetch failed: no upstream tarball for {pkg.key}")
        _unpack_archive(orig, tmp)
    else:
        raise ValueError(pkg.eco)
    tmp.rename(pkg.root)


def fetch_all() -> None:
    for pkg in PACKAGES:
        print(f"fetch {pkg.eco} {pkg.key}", file=sys.stderr)
        fetch(pkg)


if __name__ == "__main__":
    fetch_all()
