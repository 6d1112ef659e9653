#!/bin/sh
# Runs once, when the PostgreSQL volume is initialised (postgres image, /docker-entrypoint-initdb.d):
# a login for Grafana that can only read, including the tables the hub's migrations create later.
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner="$POSTGRES_USER" -v database="$POSTGRES_DB" \
    -v reader="${GRAFANA_DB_USER:-grafana_reader}" \
    -v reader_password="${GRAFANA_DB_PASSWORD:?GRAFANA_DB_PASSWORD is not set}" <<'SQL'
CREATE ROLE :"reader" LOGIN PASSWORD :'reader_password';
GRANT CONNECT ON DATABASE :"database" TO :"reader";
GRANT USAGE ON SCHEMA public TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"reader";
SQL
