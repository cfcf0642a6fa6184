#!/usr/bin/env bash
# The Spark parity test (issue 14): sets up the spark target (scripts/bootstrap_spark.sh), then
# builds the same generated data on PostgreSQL and on Spark and compares the marts
# (flowpilot_tools/tests/test_spark_parity.py; about 4 minutes once installed). CI's .ci/run
# runs it after the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap_spark.sh
exec .venv/bin/flowpilot test --spark "$@"
