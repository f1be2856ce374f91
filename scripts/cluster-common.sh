# Shared by start-cluster.sh and stop-cluster.sh; sourced, not run. Sets REPO, EDDY_JS and LOG_DIR
# and defines the helpers below. Pid files are <role>.pid in LOG_DIR, next to <role>.log.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EDDY_JS="$REPO/packages/cli/dist/src/bin/eddy.js"
LOG_DIR="${EDDY_LOG_DIR:-$REPO/log}"

# The pid in pid file $1 when that process still runs and is an eddy process; nothing otherwise
# (no file, a stale pid, or a pid the system has since given to another program).
running_pid() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  local args
  args="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  if [[ "$args" == *eddy.js* ]]; then echo "$pid"; fi
}

# Stops the processes of the given pid files: SIGTERM to all, then waits up to $1 seconds for
# them to exit, then SIGKILL to those still running, saying so. Removes the pid files.
stop_pid_files() {
  local timeout="$1"
  shift
  local file pid name
  local -a pids=() names=()
  for file in "$@"; do
    pid="$(running_pid "$file")"
    name="$(basename "$file" .pid)"
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$name")
    fi
  done
  local waited=0 alive
  while :; do
    alive=0
    for pid in ${pids[@]+"${pids[@]}"}; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    if [[ "$alive" == 0 || "$waited" -ge $((timeout * 10)) ]]; then break; fi
    sleep 0.1
    waited=$((waited + 1))
  done
  local i
  for i in ${pids[@]+"${!pids[@]}"}; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "${names[$i]} (pid ${pids[$i]}) did not stop within ${timeout} s of SIGTERM; sending SIGKILL" >&2
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    else
      echo "Stopped ${names[$i]} (pid ${pids[$i]})"
    fi
  done
  rm -f "$@"
}
