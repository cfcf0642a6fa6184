"""Tooling for the FlowPilot Metrics dbt project.

The dbt project at the repository root holds the metrics; this package holds
what runs around it: the embedded PostgreSQL, the synthetic data generator and
loader, and the commands the README names.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
