#!/usr/bin/env bash
# Starts an Eddy cluster on this machine: a JobManager and N TaskManagers (default 1), each a
# background process of this repository's eddy command (build it first: npm run build).
#
#   scripts/start-cluster.sh [N] [-D key=value ...] [--config file]
#
# The -D and --config flags go to every process, and to the `eddy taskmanagers` calls that check
# the cluster came up; EDDY_PROPERTIES (one `key: value` per line) reaches them all as well. The
# JobManager needs a fixed port (jobmanager.rpc.port, default 6123) for the TaskManagers to find it.
#   scripts/start-cluster.sh 2 -D taskmanager.numberOfTaskSlots=4 -D jobmanager.rpc.port=7123
#
# Logs and pid files go to $EDDY_LOG_DIR, default log/ at the repository root, laid out as Flink's
# are: each daemon writes its log (JSON lines) to <name>.log (-D log.file=...), rolled over by size
# (log.max-file-size, log.max-backup-index); <name>.out gets what a TaskManager's print() sinks
# print (rolled over the same way) and anything the process writes to stdout or stderr.
#   jobmanager.log, jobmanager.out, jobmanager.pid, taskmanager-1.log, taskmanager-1.out, ...
#
# Returns once all N TaskManagers have registered their slots at the JobManager, waiting up to
# $EDDY_START_TIMEOUT seconds (default 60). When something does not come up it says which process,
# shows the end of its log, stops everything it started and exits 1. It refuses to start while a
# cluster started with the same log directory still runs. scripts/stop-cluster.sh stops the cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-common.sh"

count=1
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
  count="$1"
  shift
fi
if [[ "$count" -lt 1 ]]; then
  echo "start-cluster.sh: the number of TaskManagers must be at least 1, not $count" >&2
  exit 2
fi
start_timeout="${EDDY_START_TIMEOUT:-60}"
if [[ ! -f "$EDDY_JS" ]]; then
  echo "start-cluster.sh: $EDDY_JS does not exist; build the repository first: npm run build" >&2
  exit 1
fi
mkdir -p "$LOG_DIR"
LOG_DIR="$(cd "$LOG_DIR" && pwd)"

shopt -s nullglob
for file in "$LOG_DIR"/*.pid; do
  pid="$(running_pid "$file")"
  if [[ -n "$pid" ]]; then
    echo "start-cluster.sh: a cluster started with the log directory $LOG_DIR still runs ($(basename "$file" .pid), pid $pid); stop it with scripts/stop-cluster.sh, or set EDDY_LOG_DIR to another directory" >&2
    exit 1
  fi
  rm -f "$file"
done
shopt -u nullglob

started=()
ready=0
# Whatever ends this script before the cluster is ready (a failure, Ctrl-C) stops what it started.
stop_started() {
  if [[ "$ready" == 0 && ${#started[@]} -gt 0 ]]; then
    echo "Stopping what was started" >&2
    stop_pid_files 10 "${started[@]}" >&2
  fi
}
trap stop_started EXIT
trap 'exit 130' INT TERM

# Appends to the .out file (>>): the daemon rolls it over by copying and truncating it, and an
# appending descriptor goes on at the new end.
start_process() {
  local name="$1" role="$2"
  shift 2
  nohup node "$EDDY_JS" "$role" -D "log.file=$LOG_DIR/$name.log" "$@" >>"$LOG_DIR/$name.out" 2>&1 </dev/null &
  echo "$!" >"$LOG_DIR/$name.pid"
  started+=("$LOG_DIR/$name.pid")
}

# Says which process did not come up and shows the end of its log, and of its .out file when that
# has something (an error from before the log was open), then exits 1 (the EXIT trap stops the rest).
fail() {
  local name="$1" why="$2"
  echo "start-cluster.sh: $name $why; the end of $LOG_DIR/$name.log:" >&2
  tail -n 20 "$LOG_DIR/$name.log" 2>/dev/null | sed 's/^/  /' >&2 || true
  if [[ -s "$LOG_DIR/$name.out" ]]; then
    echo "start-cluster.sh: the end of $LOG_DIR/$name.out:" >&2
    tail -n 20 "$LOG_DIR/$name.out" | sed 's/^/  /' >&2 || true
  fi
  exit 1
}

start_process jobmanager jobmanager "$@"
for ((i = 1; i <= count; i++)); do
  start_process "taskmanager-$i" taskmanager "$@"
done

# Counts the TaskManagers `eddy taskmanagers --json` lists with at least one slot.
count_registered() {
  node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      const list = JSON.parse(text);
      console.log(list.filter((tm) => tm.slotsTotal > 0).length);
    });'
}

echo "Waiting up to ${start_timeout} s for $count TaskManager(s) to register their slots at the JobManager"
deadline=$((SECONDS + start_timeout))
delay=0.2
registered=-1
last_answer=""
while :; do
  for file in "${started[@]}"; do
    if [[ -z "$(running_pid "$file")" ]]; then fail "$(basename "$file" .pid)" "exited while the cluster was starting"; fi
  done
  if last_answer="$(node "$EDDY_JS" taskmanagers --json "$@" 2>&1)"; then
    now="$(count_registered <<<"$last_answer")"
    if [[ "$now" != "$registered" ]]; then
      registered="$now"
      echo "  $registered of $count TaskManager(s) registered"
    fi
    if [[ "$registered" -ge "$count" ]]; then break; fi
  fi
  if [[ "$SECONDS" -ge "$deadline" ]]; then
    if [[ "$registered" -lt 0 ]]; then
      echo "start-cluster.sh: eddy taskmanagers said: $last_answer" >&2
      fail jobmanager "did not answer within ${start_timeout} s"
    fi
    for ((i = 1; i <= count; i++)); do
      echo "start-cluster.sh: the end of $LOG_DIR/taskmanager-$i.log:" >&2
      tail -n 10 "$LOG_DIR/taskmanager-$i.log" 2>/dev/null | sed 's/^/  /' >&2 || true
    done
    fail jobmanager "has only $registered of $count TaskManager(s) registered after ${start_timeout} s"
  fi
  sleep "$delay"
  case "$delay" in 0.2) delay=0.5 ;; *) delay=1 ;; esac
done

ready=1
echo "Eddy cluster running: a JobManager (pid $(cat "$LOG_DIR/jobmanager.pid")) and $count TaskManager(s); logs and pid files in $LOG_DIR"
echo "Stop it with: $REPO/scripts/stop-cluster.sh"
