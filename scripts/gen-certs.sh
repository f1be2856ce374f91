#!/usr/bin/env bash
# Generates the TLS material of an Eddy cluster with the openssl CLI (EC P-256): a certificate
# authority and one key and certificate per component, all PEM (docs/security.md says which option
# takes which file).
#
#   scripts/gen-certs.sh DIR [--san NAME ...] [--days N] [--other-ca] [--expired] [--readable-keys]
#
# Writes to DIR (created if need be; existing files are overwritten):
#   ca.pem, ca.key                  the cluster's CA: security.ssl.internal.truststore (and .rest.truststore)
#   jobmanager.pem, jobmanager.key  the JobManager's certificate and key
#   taskmanager.pem, taskmanager.key  the TaskManagers' (one pair may serve them all)
#   client.pem, client.key          the eddy CLI's (and a REST client's with authentication-enabled)
# Every leaf certificate is good for TLS servers and clients (extendedKeyUsage serverAuth,
# clientAuth) and names 127.0.0.1, ::1, localhost and the compose services jobmanager and
# taskmanager, plus each --san NAME (a DNS name, or an IP address).
#   --days N      validity of the CA and the certificates, default 365
#   --other-ca    also other-ca.pem/.key, an unrelated CA, and other.pem/.key signed by it (for tests:
#                 a peer the cluster must refuse)
#   --expired     also expired.pem/.key, signed by the cluster's CA, valid only in January 2020
#   --readable-keys  write DIR and the keys (not the CA's) readable by everyone, for a directory mounted
#                 into containers whose user is not the files' owner (docker-compose.secure.yml);
#                 keep such a directory on a machine only the cluster's operators use
#
# Otherwise DIR and the keys are readable by their owner only (umask 077). Takes about 0.3 s.
set -euo pipefail

usage() {
  echo "usage: $0 DIR [--san NAME ...] [--days N] [--other-ca] [--expired] [--readable-keys]" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
dir="$1"
shift
days=365
other_ca=0
expired=0
mask=077
sans=(DNS:localhost DNS:jobmanager DNS:taskmanager IP:127.0.0.1 IP:::1)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --san)
      [[ $# -ge 2 ]] || usage
      if [[ "$2" =~ ^[0-9.]+$ || "$2" == *:* ]]; then sans+=("IP:$2"); else sans+=("DNS:$2"); fi
      shift 2
      ;;
    --days)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || usage
      days="$2"
      shift 2
      ;;
    --other-ca) other_ca=1; shift ;;
    --expired) expired=1; shift ;;
    --readable-keys) mask=022; shift ;;
    *) usage ;;
  esac
done

command -v openssl >/dev/null || { echo "$0: the openssl command is missing; install openssl" >&2; exit 1; }
umask "$mask"
mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
san_list="$(IFS=,; echo "${sans[*]}")"

cat >"$work/leaf.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = $san_list
EOF

# new_ca NAME CN: NAME.key and NAME.pem, a self-signed CA.
new_ca() {
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days "$days" \
    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/$1.key" -out "$dir/$1.pem" 2>/dev/null
}

# new_key NAME: NAME.key and a signing request in the work directory.
new_key() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -subj "/CN=eddy-$1" \
    -keyout "$dir/$1.key" -out "$work/$1.csr" 2>/dev/null
}

# new_leaf NAME CA: NAME.key and NAME.pem, signed by CA.
new_leaf() {
  new_key "$1"
  openssl x509 -req -in "$work/$1.csr" -CA "$dir/$2.pem" -CAkey "$dir/$2.key" -CAcreateserial -CAserial "$work/$2.srl" \
    -sha256 -days "$days" -extfile "$work/leaf.ext" -out "$dir/$1.pem" 2>/dev/null
}

new_ca ca "Eddy cluster CA"
for name in jobmanager taskmanager client; do new_leaf "$name" ca; done

if [[ $other_ca -eq 1 ]]; then
  new_ca other-ca "Another CA"
  new_leaf other other-ca
fi

if [[ $expired -eq 1 ]]; then
  # `openssl x509` of OpenSSL 3.0 cannot date a certificate in the past; `openssl ca` can.
  new_key expired
  mkdir -p "$work/ca-db"
  : >"$work/ca-db/index.txt"
  cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = eddy
[eddy]
database = $work/ca-db/index.txt
new_certs_dir = $work/ca-db
serial = $work/ca-db/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
EOF
  openssl rand -hex 16 >"$work/ca-db/serial"
  openssl ca -batch -config "$work/ca.cnf" -cert "$dir/ca.pem" -keyfile "$dir/ca.key" -in "$work/expired.csr" \
    -startdate 20200101000000Z -enddate 20200131000000Z -extfile "$work/leaf.ext" -notext -out "$dir/expired.pem" 2>/dev/null
fi

if [[ "$mask" == 022 ]]; then
  # openssl writes keys for their owner only whatever the umask; the CA's key stays so.
  for key in "$dir"/*.key; do
    case "$(basename "$key")" in ca.key | other-ca.key) ;; *) chmod 0644 "$key" ;; esac
  done
fi
