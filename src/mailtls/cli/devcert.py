"""``mailtls devcert``: a development CA that can vouch only for development names.

``init`` makes the name-constrained CA (its root key destroyed once the intermediate is
signed), ``issue`` signs server certificates, ``trust`` prints the lines that make each
client and server verify against it, so that nobody needs "trust all certificates".
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from ..catalog import pick_language, tr
from ..pki import devca
from ..pki.names import Name, NameRefused, Permitted, parse_names
from ..pki.snippets import CLIENTS, Where, render

README = (
    "mailtls devcert: a development certificate authority, made on {created}.\n\n"
    "ca.pem is the root certificate that clients trust. Its key was destroyed as soon as "
    "it had signed the intermediate, so it can sign nothing else. Both certificates carry "
    "name constraints: they can vouch only for {permitted}.\n\n"
    "intermediate.pem and intermediate-key.pem (mode 0600) issue the server certificates "
    "(mailtls devcert issue NAME): NAME.pem holds the certificate followed by the "
    "intermediate, NAME-key.pem its key.\n\n"
    "To revoke this CA, remove ca.pem from every trust store you added it to (for Debian: "
    "delete /usr/local/share/ca-certificates/mailtls-devcert.crt and run "
    "update-ca-certificates --fresh; for Java: keytool -delete -alias mailtls-devcert), "
    "then delete this directory.\n"
)


def default_dir() -> Path:
    env = os.environ.get("MAILTLS_DEVCERT_DIR")
    if env:
        return Path(env)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "mailtls" / "devcert"


class DevcertUsageError(click.UsageError):
    """Bad input named by its error id (exit 64), in the user's language."""

    def __init__(self, exc: NameRefused | devca.DevcertError, lang: str) -> None:
        text = tr(exc.message, lang).format(**exc.params)
        super().__init__(f"{text} ({exc.error_id})")
        self.error_id = exc.error_id


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


_DIR = click.option("--dir", "directory", type=click.Path(path_type=Path), default=default_dir,
                    show_default="$MAILTLS_DEVCERT_DIR or ~/.local/share/mailtls/devcert",
                    help="Where the CA and the certificates are.")
_LANG = click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")


@click.group("devcert")
def devcert_command() -> None:
    """A development CA that can vouch only for development names.

    Its name constraints permit .test, .localhost, localhost, .internal, .home.arpa,
    loopback and private addresses (and what --permit adds), so a leaked key cannot
    intercept real traffic. Use it instead of turning certificate checks off.
    """


@devcert_command.command("init")
@_DIR
@click.option("--permit", multiple=True, metavar="NAME",
              help="Also permit this domain (.dev.example.com) or IP range (10.1.0.0/16).")
@click.option("--force", is_flag=True, help="Replace the CA in a DIR that is not empty.")
@_LANG
def init_command(directory: Path, permit: tuple[str, ...], force: bool, lang: str | None) -> None:
    """Make the constrained root and intermediate CA in DIR."""
    language = pick_language(lang)
    now = _now()
    try:
        permitted = Permitted.build(permit)
        readme = tr(README, language).format(created=f"{now:%Y-%m-%d %H:%M} UTC",
                                             permitted=permitted.describe())
        devca.init(directory, permitted, readme, now, force=force)
    except (NameRefused, devca.DevcertError) as exc:
        raise DevcertUsageError(exc, language) from None
    say = tr("Created a development CA in {dir}; it can vouch only for: {permitted}.", language)
    click.echo(say.format(dir=directory, permitted=permitted.describe()))
    click.echo(tr("The root key was destroyed after signing the intermediate. Trust {ca} "
                  "(mailtls devcert trust prints how).", language).format(
                      ca=directory / devca.CA_FILE))


@devcert_command.command("issue")
@click.argument("names", nargs=-1, metavar="NAME...")
@_DIR
@click.option("--days", type=int, default=devca.DEFAULT_DAYS, show_default=True,
              help=f"Lifetime in days (at most {devca.MAX_DAYS}).")
@click.option("--key", "key_kind", type=click.Choice(["ec", "rsa"]), default="ec",
              show_default=True, help="Key type: ECDSA P-256 or RSA 2048.")
@_LANG
def issue_command(names: tuple[str, ...], directory: Path, days: int, key_kind: str,
                  lang: str | None) -> None:
    """Issue a server certificate for NAME... (host names, wildcards, IP addresses)."""
    language = pick_language(lang)
    try:
        parsed = parse_names(names)
        files = devca.issue(directory, parsed, _now(), days=days, key_kind=key_kind)
    except (NameRefused, devca.DevcertError) as exc:
        raise DevcertUsageError(exc, language) from None
    for n in parsed:
        if n.dns is not None and n.given.strip().rstrip(".").lower() != n.dns:
            click.echo(tr("{given} is written as {ascii} (IDNA)", language).format(
                given=n.given, ascii=n.dns))
    click.echo(tr("Issued {chain} (certificate, then intermediate) and {key}, valid until "
                  "{date}.", language).format(chain=files.chain, key=files.key,
                                              date=f"{files.not_after:%Y-%m-%d}"))
    click.echo(tr("Clients verify it against {ca}.", language).format(ca=files.ca))


def _newest_cert(directory: Path) -> str | None:
    keys = [p for p in directory.glob("*-key.pem") if p.name != devca.INTER_KEY_FILE
            and (directory / p.name.replace("-key.pem", ".pem")).is_file()]
    if not keys:
        return None
    return max(keys, key=lambda p: p.stat().st_mtime).name.removesuffix("-key.pem")


@devcert_command.command("trust")
@_DIR
@click.option("--client", "clients", multiple=True, type=click.Choice(CLIENTS),
              help="Only this client or server (repeatable); default: all of them.")
@click.option("--cert", "cert_name", metavar="NAME",
              help="The certificate servers present (DIR/NAME.pem); default: the newest.")
@click.option("--host", help="Host name the clients connect to (default: the certificate's).")
@click.option("--port", type=click.IntRange(1, 65535), default=587, show_default=True,
              help="SMTP port (STARTTLS).")
@click.option("--imap-port", type=click.IntRange(1, 65535), default=993, show_default=True,
              help="IMAP port (TLS).")
@_LANG
def trust_command(directory: Path, clients: tuple[str, ...], cert_name: str | None,
                  host: str | None, port: int, imap_port: int, lang: str | None) -> None:
    """Print the configuration that makes clients and servers verify against the CA."""
    language = pick_language(lang)
    try:
        ca = devca.load(directory)
    except devca.DevcertError as exc:
        raise DevcertUsageError(exc, language) from None
    stem = cert_name or _newest_cert(directory) or "mail.test"
    default_host = stem.replace("_wildcard", "mail") if stem != "mail.test" else "localhost"
    where = Where(directory.resolve() / devca.CA_FILE, directory.resolve() / f"{stem}.pem",
                  directory.resolve() / f"{stem}-key.pem", host or default_host, port,
                  imap_port, ca.permitted.describe())
    click.echo(render(clients, where, lambda s: tr(s, language)), nl=False)


__all__ = ["Name", "devcert_command"]
