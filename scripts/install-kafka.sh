#!/usr/bin/env bash
# Installs, once, the Apache Kafka broker the Kafka connector tests start on 127.0.0.1 (single node,
# KRaft): the jars of org.apache.kafka:kafka_2.13 with its runtime dependencies and an slf4j
# binding, fetched from Maven Central by `mvn dependency:copy-dependencies` on scripts/kafka/pom.xml
# into a cache directory. Prints the directory that holds lib/ (run the broker with
# `java -cp "$dir/lib/*" kafka.Kafka server.properties`). .ci/run calls it before the tests;
# test/kafka/kafka-broker.ts calls it when the jars are missing, so `npm test` works on a fresh
# clone either way.
#
# Cache: $EDDY_CACHE_DIR, else $XDG_CACHE_HOME/eddy, else ~/.cache/eddy. Needs Java 17 or newer and
# Maven (Debian: apt-get install openjdk-17-jre-headless maven).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pom="$here/kafka/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
cache="${EDDY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/eddy}"
dir="$cache/kafka-$version"

if [ -f "$dir/lib/kafka_2.13-$version.jar" ] && [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi
for tool in java mvn; do
  if ! command -v "$tool" >/dev/null; then
    echo "install-kafka: $tool is missing; install Java 17+ and Maven (Debian: apt-get install openjdk-17-jre-headless maven)" >&2
    exit 1
  fi
done
mkdir -p "$cache"
# Fetched beside its final place and moved there whole, so a concurrent or interrupted run never
# leaves half a broker behind the final name.
staging="$(mktemp -d "$cache/.kafka-install.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
echo "install-kafka: fetching Apache Kafka $version (kafka_2.13 and its runtime dependencies) into $dir" >&2
mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$staging/kafka/lib" >&2
touch "$staging/kafka/.complete"
rm -rf "$dir.old"
[ -e "$dir" ] && mv -T "$dir" "$dir.old"
# Another run may have won the race: then its copy stays.
mv -T "$staging/kafka" "$dir" 2>/dev/null || true
rm -rf "$dir.old"
echo "$dir"
