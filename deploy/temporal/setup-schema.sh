#!/bin/sh
# The one-shot schema job of docker-compose.yml (image temporalio/admin-tools): creates Temporal's
# two databases on Postgres when missing, then applies every versioned migration not yet applied.
# Safe on every `docker compose up`: on an existing volume it only upgrades in place.
# Connection from SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD (read by temporal-sql-tool).
set -eu

schema_of() {  # database, schema folder
    temporal-sql-tool --db "$1" create
    temporal-sql-tool --db "$1" setup-schema -v 0.0   # version tables only; skipped when newer
    temporal-sql-tool --db "$1" update-schema -d "/etc/temporal/schema/postgresql/v12/$2/versioned"
}

schema_of "${DBNAME:-temporal}" temporal
schema_of "${VISIBILITY_DBNAME:-temporal_visibility}" visibility
echo "temporal schemas are at the latest version"
