#!/usr/bin/env bash
# README command (a): set up, start the embedded PostgreSQL (unless PGHOST is set),
# load the demo data, dbt build, print what was built and headline numbers,
# then write the static dashboard (dashboard/) and print the path to open.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/flowpilot demo "$@"
echo
exec .venv/bin/flowpilot dashboard
