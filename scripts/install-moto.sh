#!/usr/bin/env bash
# Installs moto[server] from PyPI (an S3-compatible server the S3 checkpoint tests start on
# 127.0.0.1) into a virtual environment under the cache directory, once, and prints the path of
# that environment's python. .ci/run calls it before the tests; test/s3/moto-server.ts calls it
# when the environment is missing, so `npm test` works on a fresh clone either way.
#
# Cache: $EDDY_CACHE_DIR, else $XDG_CACHE_HOME/eddy, else ~/.cache/eddy. Needs python3 with venv
# and pip (Debian: apt-get install python3 python3-venv).
set -euo pipefail
MOTO_VERSION=5.2.1
cache="${EDDY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/eddy}"
venv="$cache/moto-$MOTO_VERSION"

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import moto.server' 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi
if ! command -v python3 >/dev/null; then
  echo "install-moto: python3 is missing; install Python 3 with venv and pip (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
mkdir -p "$cache"
# Installed beside its final place and moved there whole, so a concurrent run or an interrupted
# one never leaves a half-installed environment behind the final name.
staging="$(mktemp -d "$cache/.moto-install.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
echo "install-moto: installing moto[server]==$MOTO_VERSION into $venv" >&2
if ! python3 -m venv "$staging/venv" >&2; then
  echo "install-moto: 'python3 -m venv' failed; install the venv module (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
"$staging/venv/bin/python" -m pip install --quiet --disable-pip-version-check --timeout 60 --retries 5 "moto[server]==$MOTO_VERSION" >&2
rm -rf "$venv.old"
[ -e "$venv" ] && mv -T "$venv" "$venv.old"
# Another run may have won the race: then its environment stays.
mv -T "$staging/venv" "$venv" 2>/dev/null || true
rm -rf "$venv.old"
"$venv/bin/python" -c 'import moto.server'
echo "$venv/bin/python"
