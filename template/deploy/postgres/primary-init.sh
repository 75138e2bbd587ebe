#!/bin/sh
# Runs once, when the primary's data directory is first initialised (docker-entrypoint-initdb.d):
# creates the role the replica streams with and lets it connect for replication.
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="$REPLICATION_USER" -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"role" WITH REPLICATION LOGIN PASSWORD :'password';
SQL

# "all" in pg_hba.conf does not cover replication connections; they need their own line.
echo "host replication $REPLICATION_USER all scram-sha-256" >> "$PGDATA/pg_hba.conf"
