#!/usr/bin/env bash
# npm run quickstart: from a fresh clone to a first job in one command. Installs the dependencies
# when they are missing or older than package-lock.json, builds, and runs examples/word-count.ts on
# a local cluster in this process (eddy run --local): its state transitions, then its word counts.
# Extra arguments go to eddy run (for example -p 1).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "quickstart: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
echo "quickstart: building (npm run build)"
npm run build --silent
echo "quickstart: eddy run --local examples/word-count.ts"
exec node packages/cli/dist/src/bin/eddy.js run --local "$@" examples/word-count.ts
