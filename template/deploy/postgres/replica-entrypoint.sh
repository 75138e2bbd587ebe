#!/bin/sh
# Entry point of the streaming replica: on first start (empty data directory) it clones the
# primary with pg_basebackup -R, which also writes standby.signal and primary_conninfo; then
# it hands over to the image's own entry point, which starts PostgreSQL as a hot standby.
set -eu

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    until pg_isready --host "$PRIMARY_HOST" --port "$PRIMARY_PORT" --quiet; do
        echo "replica: waiting for the primary at $PRIMARY_HOST:$PRIMARY_PORT"
        sleep 1
    done
    echo "replica: cloning the primary"
    PGPASSWORD="$REPLICATION_PASSWORD" gosu postgres pg_basebackup \
        --host "$PRIMARY_HOST" --port "$PRIMARY_PORT" --username "$REPLICATION_USER" \
        --pgdata "$PGDATA" --wal-method stream --write-recovery-conf --checkpoint fast \
        --no-password --progress
fi

exec docker-entrypoint.sh postgres
