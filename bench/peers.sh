#!/usr/bin/env bash
# Install the peer tools that bench/run.py compares mailtls with, each in its own venv
# under bench/.peers/ (git-ignored). Idempotent: a peer that already imports is left alone.
#
#   bash bench/peers.sh            # install what is missing
#   FORCE=1 bash bench/peers.sh    # reinstall
#
# sslyze pins its own versions of cryptography and pyOpenSSL, so it cannot share mailtls's
# .venv. SSLYZE_SPEC chooses the version (default: the latest release).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="$here/.peers"
python="${PYTHON:-python3}"
sslyze_spec="${SSLYZE_SPEC:-sslyze}"
venv="$peers/sslyze"

if [[ -z "${FORCE:-}" ]] && "$venv/bin/python" -c "import sslyze" 2>/dev/null; then
    echo "sslyze: present in $venv ($("$venv/bin/python" -m pip show sslyze | sed -n 's/^Version: //p'))"
    exit 0
fi

mkdir -p "$peers"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "$sslyze_spec"
"$venv/bin/python" -c "import sslyze"
"$venv/bin/python" -m sslyze --help >/dev/null
echo "sslyze: installed in $venv ($("$venv/bin/python" -m pip show sslyze | sed -n 's/^Version: //p'))"
