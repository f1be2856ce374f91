#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the dashboard's browser test
# (test/web/dashboard-browser.test.ts) drives it headless through playwright-core, which brings no
# browser of its own. .ci/run calls it before the tests. Needs root and apt-get (CI runs as root);
# elsewhere it says what to run. EDDY_CHROMIUM names another Chromium binary to use instead.
set -euo pipefail
chromium="${EDDY_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-chromium: no Chromium at $chromium; install Debian's chromium (sudo apt-get install chromium) or set EDDY_CHROMIUM to a Chromium binary" >&2
  exit 1
fi
echo "install-chromium: installing Debian's chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium >&2
test -x "$chromium"
