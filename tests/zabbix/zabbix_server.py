"""A private Zabbix 6.0 from the Debian packages, on loopback, in one temporary directory.

- PostgreSQL: its own cluster (initdb, pg_ctl as the ``postgres`` user, trust auth), the
  ``zabbix`` database made from the package's schema.sql, images.sql and data.sql;
- ``zabbix_server`` with its own configuration (loopback trapper port, log, pid and
  runtime-control socket in the directory; as root with AllowRoot=1);
- the PHP frontend (which serves the API) under ``php -S`` on a loopback port: a copy of
  /usr/share/zabbix (hard links) whose CConfigFile points at our zabbix.conf.php, because
  Debian's frontend reads its configuration from the fixed path /etc/zabbix/zabbix.conf.php.

Nothing outside the directory is touched; every process is stopped by its pid.
"""

from __future__ import annotations

import glob
import gzip
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servers.ports import alive, free_ports, terminate, wait_until

SQL_DIR = Path("/usr/share/zabbix-server-pgsql")
FRONTEND = Path("/usr/share/zabbix")
CONFIG_CLASS = "include/classes/core/CConfigFile.php"
DEBIAN_CONFIG = "'/etc/zabbix/zabbix.conf.php'"
MISSING = ("zabbix_server", "php")


class ZabbixSetupError(RuntimeError):
    pass


def missing() -> list[str]:
    """What the Zabbix tests need and this machine lacks (scripts/install-deps.sh adds it)."""
    out = [b for b in MISSING if shutil.which(b) is None]
    out += [str(p) for p in (SQL_DIR / "schema.sql.gz", FRONTEND / "api_jsonrpc.php")
            if not p.exists()]
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        out.append("initdb")
    return out


def _pg_bin(name: str) -> str:
    return sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1]


def _server_conf(base: Path, trapper: int, pg_port: int) -> str:
    return "\n".join([
        "ListenIP=127.0.0.1,::1", f"ListenPort={trapper}", "SourceIP=127.0.0.1",
        f"LogFile={base}/zabbix_server.log", f"PidFile={base}/zabbix_server.pid",
        f"SocketDir={base}", "DBHost=127.0.0.1", f"DBPort={pg_port}", "DBName=zabbix",
        "DBUser=mailtls", "AllowRoot=1", "CacheUpdateFrequency=5", "Timeout=4",
        # the fewest processes that still run trapper, LLD, history and triggers
        "StartPollers=1", "StartPollersUnreachable=1", "StartPingers=0",
        "StartDiscoverers=0", "StartHTTPPollers=0", "StartTrappers=2",
        "StartPreprocessors=1", "StartAlerters=1", "StartEscalators=1", "StartTimers=1",
        "StartLLDProcessors=1", "StartHistoryPollers=1", "StartODBCPollers=0",
        "StartReportWriters=0", "HousekeepingFrequency=0", "",
    ])


def _frontend_conf(pg_port: int, trapper: int) -> str:
    db = {"TYPE": "POSTGRESQL", "SERVER": "127.0.0.1", "PORT": str(pg_port),
          "DATABASE": "zabbix", "USER": "mailtls", "PASSWORD": "", "SCHEMA": "",
          "KEY_FILE": "", "CERT_FILE": "", "CA_FILE": "", "CIPHER_LIST": "",
          "VAULT_URL": "", "VAULT_DB_PATH": "", "VAULT_TOKEN": ""}
    lines = ["<?php"] + [f"$DB['{k}'] = '{v}';" for k, v in db.items()]
    lines += ["$DB['ENCRYPTION'] = false;", "$DB['VERIFY_HOST'] = false;",
              "$DB['DOUBLE_IEEE754'] = true;", "$ZBX_SERVER = '127.0.0.1';",
              f"$ZBX_SERVER_PORT = '{trapper}';", "$ZBX_SERVER_NAME = 'mailtls tests';",
              "$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;", ""]
    return "\n".join(lines)


def _copy_frontend(base: Path) -> Path:
    """A copy of the frontend whose configuration file is ours (hard links where possible)."""
    web = base / "web"
    try:
        shutil.copytree(FRONTEND, web, symlinks=True, copy_function=os.link)
    except OSError:
        shutil.rmtree(web, ignore_errors=True)
        shutil.copytree(FRONTEND, web, symlinks=True)
    cls = web / CONFIG_CLASS
    text = cls.read_text()
    if DEBIAN_CONFIG not in text:
        raise ZabbixSetupError(f"{FRONTEND / CONFIG_CLASS}: no {DEBIAN_CONFIG} to redirect")
    cls.unlink()  # a new file: never write through the hard link into /usr/share
    cls.write_text(text.replace(DEBIAN_CONFIG, repr(str(base / "zabbix.conf.php"))))
    return web


@dataclass
class ZabbixServer:
    base: Path
    trapper: int = 0
    pg_port: int = 0
    web_port: int = 0
    php: subprocess.Popen[bytes] | None = None
    _api: Any = field(default=None, repr=False)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}/api_jsonrpc.php"

    @property
    def conf(self) -> Path:
        return self.base / "zabbix_server.conf"

    def log(self) -> str:
        path = self.base / "zabbix_server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- start ----------------------------------------------------------------------

    def start(self) -> None:
        self.pg_port, self.web_port = free_ports(2)
        self.trapper = low_port()
        self._postgres()
        self._database()
        self.conf.write_text(_server_conf(self.base, self.trapper, self.pg_port))
        self._run(["zabbix_server", "-c", str(self.conf)], "zabbix_server")
        wait_until(lambda: _connects(self.trapper), 60, "zabbix_server trapper",
                   lambda: None if self._server_pid() else "zabbix_server exited: "
                   + self.log()[-2000:])
        (self.base / "zabbix.conf.php").write_text(_frontend_conf(self.pg_port, self.trapper))
        web = _copy_frontend(self.base)
        with open(self.base / "php.log", "wb") as log:
            self.php = subprocess.Popen(
                ["php", "-S", f"127.0.0.1:{self.web_port}", "-t", str(web)], cwd=web,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True)
        wait_until(lambda: _connects(self.web_port), 30, "php -S frontend",
                   lambda: None if self.php and self.php.poll() is None else "php exited")

    def _as_postgres(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        user = pwd.getpwnam("postgres")

        def demote() -> None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
        return subprocess.run(cmd, capture_output=True, text=True, preexec_fn=demote,
                              stdin=subprocess.DEVNULL, timeout=120, check=False)

    def _postgres(self) -> None:
        user = pwd.getpwnam("postgres")
        pg = self.base / "pg"
        pg.mkdir()
        os.chown(pg, user.pw_uid, user.pw_gid)
        done = self._as_postgres(_pg_bin("initdb"), "-D", str(pg / "data"), "-A", "trust",
                                 "-U", "mailtls", "-E", "UTF8", "--no-sync")
        if done.returncode:
            raise ZabbixSetupError(f"initdb: {done.stderr}")
        opts = f"-h 127.0.0.1 -p {self.pg_port} -k {pg} -c fsync=off -c full_page_writes=off"
        done = self._as_postgres(_pg_bin("pg_ctl"), "-D", str(pg / "data"), "-l",
                                 str(pg / "log"), "-o", opts, "-w", "start")
        if done.returncode:
            raise ZabbixSetupError(f"pg_ctl start: {done.stderr}")

    def _database(self) -> None:
        """The package's SQL, each file sent as one query: psql's statement-by-statement
        round trips take four times as long for data.sql's 170,000 INSERTs."""
        import psycopg

        url = f"postgresql://mailtls@127.0.0.1:{self.pg_port}"
        with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE zabbix ENCODING 'UTF8'")
        with psycopg.connect(f"{url}/zabbix", autocommit=True) as conn:
            for name in ("schema", "images", "data"):
                conn.execute(gzip.decompress((SQL_DIR / f"{name}.sql.gz").read_bytes()))

    def _run(self, cmd: list[str], what: str) -> None:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=60, check=False)
        if done.returncode:
            raise ZabbixSetupError(f"{what}: {done.stderr.decode()} {self.log()[-2000:]}")

    def _server_pid(self) -> int | None:
        path = self.base / "zabbix_server.pid"
        try:
            pid = int(path.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    # --- use ------------------------------------------------------------------------

    def api(self) -> Any:
        """A logged-in zabbix_utils API client (Admin/zabbix, the database's default)."""
        if self._api is None:
            from zabbix_utils import ZabbixAPI

            self._api = ZabbixAPI(url=self.api_url, timeout=60)
            self._api.login(user="Admin", password="zabbix")
        return self._api

    def reload_config(self) -> None:
        """Make the server reload its configuration cache (new hosts, discovered items and
        triggers), and wait until the reload has begun: what the database held when this
        was called is then in the cache a moment later."""
        mark = "forced reloading of the configuration cache"
        before = self.log().count(mark)
        self._run(["zabbix_server", "-c", str(self.conf), "-R", "config_cache_reload"],
                  "config_cache_reload")
        wait_until(lambda: self.log().count(mark) > before, 60, "configuration cache reload")

    # --- stop -----------------------------------------------------------------------

    def stop(self) -> None:
        if self.php is not None and self.php.poll() is None:
            os.killpg(self.php.pid, signal.SIGTERM)
            self.php.wait(10)
        pid = self._server_pid()
        if pid is not None:
            terminate(pid, grace=30)  # the main process waits for its children
        if (self.base / "pg" / "data").exists():
            self._as_postgres(_pg_bin("pg_ctl"), "-D", str(self.base / "pg" / "data"),
                              "-m", "immediate", "-w", "stop")


def low_port() -> int:
    """A port free on 127.0.0.1 and ::1 that zabbix_server accepts (1024-32767)."""
    for port in random.sample(range(20000, 32768), 200):
        with socket.socket() as v4, socket.socket(socket.AF_INET6) as v6:
            try:
                v4.bind(("127.0.0.1", port))
                v6.bind(("::1", port))
            except OSError:
                continue
            return port
    raise ZabbixSetupError("no free port in 20000-32767 on 127.0.0.1 and ::1")


def _connects(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
