#!/usr/bin/env bash
# Start a local PostgreSQL server for the storage tests (idempotent, a few seconds).
#
#   eval "$(scripts/start_postgres.sh)"    # exports DIGIT_STUDIO_TEST_POSTGRES_URL
#
# As root it installs Debian's `postgresql` if missing, creates its own cluster
# "digitstudio-test" on port $DIGIT_STUDIO_PG_PORT (default 54329; the default "main"
# cluster is left alone), starts it, and creates the user and database `digitstudio`
# / `digitstudio_test`. Only the export line goes to stdout; progress goes to stderr.
# Exits 1 (and prints nothing to stdout) when it cannot: the PostgreSQL tests then skip
# and say why.
set -euo pipefail

PORT="${DIGIT_STUDIO_PG_PORT:-54329}"
CLUSTER="digitstudio-test"
DB_USER="digitstudio"
DB_PASSWORD="digitstudio"
DB_NAME="digitstudio_test"

say() { echo "start_postgres: $*" >&2; }

if ! command -v pg_createcluster >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    say "PostgreSQL is not installed; run as root or 'sudo apt-get install -y postgresql'."
    exit 1
  fi
  say "installing Debian's postgresql package"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  say "must run as root (it creates and starts a cluster as the postgres user)."
  exit 1
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters --no-header | awk '{print $1, $2}' | grep -qx "$VERSION $CLUSTER"; then
  say "creating cluster $VERSION/$CLUSTER on port $PORT"
  pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
fi
PORT="$(pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')"
if ! pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}' | grep -q online; then
  say "starting cluster $VERSION/$CLUSTER"
  pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.2
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { say "the server did not come up on port $PORT"; exit 1; }

psql_admin() { su postgres -c "psql -q -v ON_ERROR_STOP=1 -p $PORT $*" >&2; }
psql_admin "-c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
  CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD'; END IF; END \\\$\\\$;\""
if ! su postgres -c "psql -p $PORT -tAc \"SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'\"" | grep -q 1; then
  psql_admin "-c 'CREATE DATABASE $DB_NAME OWNER $DB_USER'"
fi
say "ready on 127.0.0.1:$PORT"
echo "export DIGIT_STUDIO_TEST_POSTGRES_URL=postgresql+psycopg://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
