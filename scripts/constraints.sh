#!/usr/bin/env bash
# Re-resolve every runtime, lint and dev dependency in a throwaway venv and write the
# pins to constraints.txt (what `make` and CI install with `pip install -c`).
#
#   make constraints        (or: bash scripts/constraints.sh)
#
# Then review `git diff constraints.txt`, run `make test` and commit both: a new release of
# a dependency reaches the build only through such a commit, never unseen.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PYTHON" -m venv "$tmp/venv"
pip() { "$tmp/venv/bin/python" -m pip "$@"; }
pip install -q --upgrade pip
pip install -q 'setuptools>=68'   # the build backend, as pip's build isolation resolves it
pip install -q '.[dev]'           # the runtime, the lint grammars and the dev tools

{
    echo "# Pinned versions of every dependency of mailtls (runtime, [lint], [dev]) and of"
    echo "# pip and the build backend, as resolved on $("$tmp/venv/bin/python" -V)."
    echo "# Used by make and CI: pip install -c constraints.txt --build-constraint constraints.txt"
    echo "# Refresh: make constraints (scripts/constraints.sh); review the diff; make test."
    pip freeze --all --exclude mailtls | LC_ALL=C sort -f
} > constraints.txt.new
mv constraints.txt.new constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) pins"
