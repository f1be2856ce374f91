#!/usr/bin/env bash
# Stops the cluster scripts/start-cluster.sh started with the same log directory ($EDDY_LOG_DIR,
# default log/ at the repository root): SIGTERM to the JobManager and every TaskManager (the
# JobManager cancels running jobs first), then waits up to $EDDY_STOP_TIMEOUT seconds (default 30)
# and sends SIGKILL to what still runs, saying so. Removes the pid files; keeps the logs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-common.sh"

shopt -s nullglob
pid_files=("$LOG_DIR"/*.pid)
shopt -u nullglob
if [[ ${#pid_files[@]} -eq 0 ]]; then
  echo "No cluster to stop: no pid files in $LOG_DIR"
  exit 0
fi
stop_pid_files "${EDDY_STOP_TIMEOUT:-30}" "${pid_files[@]}"
