#!/usr/bin/env bash
# README command (a): set up, start the embedded PostgreSQL (unless PGHOST is set),
# load the demo data, dbt build, print what was built and headline numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/flowpilot demo "$@"
