"""Local copies of the infrastructure (Postgres, Temporal) started from PyPI wheels."""
