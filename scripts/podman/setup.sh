#!/usr/bin/env bash
# Prepares this machine to run Eddy's Dockerfile and docker-compose.yml with Podman, for
# test/docker/compose-podman.test.ts and for trying the compose file by hand. Idempotent and quick
# once done: each step is skipped when its result is already there.
#
#   1. apt-get installs podman, podman-compose, runc and debootstrap, if any is missing.
#   2. /etc/containers/containers.conf gets the settings Podman needs in this sandbox: runtime runc
#      (crun fails on its cgroup layout), cgroup_manager cgroupfs, and ulimits nofile and nproc of
#      1024 (it refuses higher ones). Written only where a setting differs; the rest is kept.
#   3. The Dockerfile's base image, node:20-bookworm-slim, is built here, since no image registry
#      is reachable: Debian bookworm (debootstrap --variant=minbase), this machine's node and npm,
#      its CA bundle with NODE_EXTRA_CA_CERTS pointing at it (npm's downloads need it), and the
#      user node (uid 1000) the official image has. `podman import` tags it with the Dockerfile's
#      name. It is kept while it exists and holds this machine's node version.
#
# Needs root. Exits 0 when everything is ready; otherwise prints what failed and exits non-zero.
# Build the image afterwards with `podman build --network host --pull=never -t eddy:latest .`.
set -euo pipefail

readonly PACKAGES=(podman podman-compose runc debootstrap)
readonly CONTAINERS_CONF=/etc/containers/containers.conf
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
# The Dockerfile's `FROM node:20-bookworm-slim`, as Docker names it in full.
readonly BASE_IMAGE=docker.io/library/node:20-bookworm-slim
readonly MIRROR="${EDDY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { echo "setup: $*"; }
fail() {
  echo "setup: $*" >&2
  exit 1
}

# Root is needed only for a step that has something to do.
need_root() {
  if [[ "$(id -u)" != 0 ]]; then fail "$1 needs root; run scripts/podman/setup.sh as root (sudo)"; fi
}

install_packages() {
  local missing=() package
  for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$package"); fi
  done
  if [[ ${#missing[@]} == 0 ]]; then return; fi
  need_root "installing ${missing[*]}"
  command -v apt-get >/dev/null || fail "${missing[*]} not installed, and there is no apt-get here to install them; install them with this system's package manager"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Stale package lists are the usual reason an install fails; refresh them once and retry.
  if ! apt-get install -y -q "${missing[@]}"; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get update -q
    apt-get install -y -q "${missing[@]}" || fail "apt-get install ${missing[*]} failed; see the output above"
  fi
}

# Sets [section] key = value in containers.conf where the file does not already say so, keeping
# every other line. Values are TOML, written as given.
configure_podman() {
  python3 - "$CONTAINERS_CONF" "$(id -u)" <<'PY'
import os, re, sys, tomllib

path, uid = sys.argv[1], sys.argv[2]
wanted = [
    ("engine", "runtime", '"runc"'),
    ("engine", "cgroup_manager", '"cgroupfs"'),
    ("containers", "default_ulimits", '["nofile=1024:1024", "nproc=1024:1024"]'),
]
text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
current = tomllib.loads(text)
todo = [(s, k, v) for s, k, v in wanted if current.get(s, {}).get(k) != tomllib.loads(f"x = {v}")["x"]]
if not todo:
    sys.exit(0)
if uid != "0":
    sys.exit(f"setup: {path} needs {', '.join(f'{s}.{k}' for s, k, _ in todo)} set; run scripts/podman/setup.sh as root (sudo)")
lines = text.splitlines()
for section, key, value in todo:
    header = next((i for i, l in enumerate(lines) if l.strip() == f"[{section}]"), None)
    if header is None:
        lines += ([""] if lines else []) + [f"[{section}]", f"{key} = {value}"]
        continue
    end = next((i for i in range(header + 1, len(lines)) if re.match(r"\s*\[", lines[i])), len(lines))
    setting = next((i for i in range(header + 1, end) if re.match(rf"\s*{key}\s*=", lines[i])), None)
    if setting is None:
        lines.insert(header + 1, f"{key} = {value}")
    else:
        # An array may go on over several lines: replace them all.
        last = setting
        if lines[setting].split("=", 1)[1].strip().startswith("[") and "]" not in lines[setting]:
            last = next((i for i in range(setting + 1, end) if "]" in lines[i]), setting)
        lines[setting : last + 1] = [f"{key} = {value}"]
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print(f"setup: set {', '.join(f'{s}.{k}' for s, k, _ in todo)} in {path}")
PY
}

build_base_image() {
  local version
  version="$(node --version)"
  if podman image exists "$BASE_IMAGE"; then
    local built_with
    built_with="$(podman image inspect --format '{{index .Config.Labels "eddy.node-version"}}' "$BASE_IMAGE" 2>/dev/null || true)"
    # Ours with this machine's node, or one from elsewhere (a registry): either is fine.
    if [[ "$built_with" == "$version" || "$built_with" == "" || "$built_with" == "<no value>" ]]; then return; fi
    log "$BASE_IMAGE holds node $built_with, this machine has $version; rebuilding it"
  fi
  need_root "building $BASE_IMAGE (debootstrap)"
  local node npm_dir root
  node="$(readlink -f "$(command -v node)")"
  npm_dir="$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")"
  [[ -f "$npm_dir/bin/npm-cli.js" ]] || fail "cannot find npm next to $(command -v npm) (looked in $npm_dir)"
  [[ -f "$CA_BUNDLE" ]] || fail "no CA bundle at $CA_BUNDLE"
  root="$(mktemp -d /var/tmp/eddy-node-base.XXXXXX)"
  # shellcheck disable=SC2064
  trap "rm -rf '$root'" EXIT
  log "building $BASE_IMAGE: debootstrap bookworm from $MIRROR into $root"
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$root.log" 2>&1 || {
    tail -n 20 "$root.log" >&2
    fail "debootstrap failed; full output in $root.log"
  }
  rm -f "$root.log"
  # Where the official image has them.
  install -D -m 0755 "$node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  install -D -m 0644 "$CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
  # The official image's unprivileged user, which the Dockerfile switches to.
  echo 'node:x:1000:' >>"$root/etc/group"
  echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$root/etc/passwd"
  echo 'node:*:19000:0:99999:7:::' >>"$root/etc/shadow"
  install -d -o 1000 -g 1000 "$root/home/node"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=${version#v}" \
    --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
    --change "LABEL eddy.node-version=$version" \
    --change 'CMD ["node"]' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
  log "built $BASE_IMAGE (node $version)"
}

install_packages
command -v podman >/dev/null || fail "podman is installed, but not on the PATH ($PATH); add its directory to the PATH"
configure_podman
build_base_image
log "ready: $(podman --version), $(podman-compose version 2>/dev/null | grep -o 'podman-compose.* version.*' || echo 'podman-compose'), base image $BASE_IMAGE"
