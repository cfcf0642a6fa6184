#!/usr/bin/env bash
# README command (b): set up the same way, then run every test:
# sqlfluff lint, dbt build (data and unit tests), pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/flowpilot test "$@"
