"""Record testssl.sh's answers for the listeners of tests/deep/truth/listeners.py.

    make truth                                   # installs testssl.sh if missing, then this
    .venv/bin/python tools/truth.py [--only NAME ...] [--jobs N]

Starts the truth listeners (a private Postfix and Dovecot on 127.0.0.1, as root), runs
testssl.sh against each one with STARTTLS, and writes its flat JSON answer to
``tests/deep/truth/<listener>.json``; ``tests/deep/truth/index.json`` records the command,
the testssl.sh and OpenSSL versions, the time each run took and when. The checks are
``-p`` (protocols), ``-E`` (cipher suites per protocol), ``-P`` (server preference and
order), ``-f`` (forward secrecy: the groups and DH groups) and ``-S`` (server defaults:
every certificate). Not run in CI: the recorded files are committed and the tests read them.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "deep")]

from truth.listeners import HOST, LISTENERS, TRUTH_DIR, TruthLab, truth_lab  # noqa: E402

CHECKS = ("-p", "-E", "-P", "-f", "-S")


def testssl_binary() -> str:
    for name in ("testssl", "testssl.sh"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("testssl.sh is not installed: `make truth` installs it "
             "(apt-get install testssl.sh)")


def testssl_command(binary: str, starttls: str, port: int, jsonfile: Path,
                    checks: tuple[str, ...] = CHECKS) -> list[str]:
    """testssl.sh 3.0.8 against HOST:port on 127.0.0.1 only, no DNS, no phoning out."""
    return [binary, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
            "--ip", "127.0.0.1", "--starttls", starttls, *checks,
            "--jsonfile", str(jsonfile), f"{HOST}:{port}"]


def version(binary: str) -> dict[str, str]:
    text = subprocess.run([binary, "--version"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False).stdout
    testssl = next((ln.split()[1] for ln in text.splitlines()
                    if ln.strip().startswith("testssl ")), "?")
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True,
                             check=False).stdout.strip()
    return {"testssl": testssl, "openssl": openssl}


def record_one(binary: str, lab: TruthLab, name: str, work: Path) -> dict[str, object]:
    listener = next(x for x in LISTENERS if x.name == name)
    out = work / f"{name}.json"
    cmd = testssl_command(binary, listener.starttls, lab.ports[name], out)
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=1800, check=False)
    seconds = time.perf_counter() - start
    if not out.exists():
        raise RuntimeError(f"{name}: testssl.sh wrote no JSON (exit {proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    doc = json.loads(out.read_text())
    (TRUTH_DIR / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
    connections = lab.connections(name) if listener.server == "postfix" else None
    generic = " ".join(cmd).replace(str(out), "FILE").replace(f":{lab.ports[name]}", ":PORT")
    return {"command": generic, "seconds": round(seconds, 1), "exit": proc.returncode,
            "connections": connections, "description": listener.description,
            "options": dict(listener.options), "certificates": list(listener.certs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="record only these listeners")
    ap.add_argument("--jobs", type=int, default=3, help="testssl.sh runs at once (3)")
    args = ap.parse_args()
    binary = testssl_binary()
    names = args.only or [x.name for x in LISTENERS]
    index_path = TRUTH_DIR / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {"listeners": {}}
    index.update(version(binary))
    index["recorded"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    with (truth_lab() as lab, tempfile.TemporaryDirectory() as tmp,
          concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool):
        futures = {n: pool.submit(record_one, binary, lab, n, Path(tmp)) for n in names}
        for name, fut in futures.items():
            index["listeners"][name] = fut.result()
            print(f"{name}: {index['listeners'][name]['seconds']} s", flush=True)
    index["listeners"] = dict(sorted(index["listeners"].items()))
    index_path.write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main()
