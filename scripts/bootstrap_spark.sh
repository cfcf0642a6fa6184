#!/usr/bin/env bash
# The spark target's setup (issue 14), on top of scripts/bootstrap.sh: Java 17 (Debian's
# openjdk-17-jre-headless, only when no Java 17 is on the machine) and the pinned dbt-spark and
# PySpark in .venv (requirements-spark.txt; pyspark is a 456 MB source distribution, about a
# minute the first time). Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
java17="/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)/bin/java"
if [ ! -x "$java17" ] && ! java -version 2>&1 | grep -q 'version "17\.'; then
    if [ "$(id -u)" != 0 ]; then
        echo "bootstrap_spark: Java 17 is missing; install openjdk-17-jre-headless as root" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        openjdk-17-jre-headless
fi
stamp=.venv/.flowpilot-spark-installed
wanted="$(cat requirements-spark.txt constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -r requirements-spark.txt -c constraints.txt
    echo "$wanted" > "$stamp"
fi
