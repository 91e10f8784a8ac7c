# shellcheck shell=bash
# Sourced by scripts/test.sh: starts the local PostgreSQL cluster when it is not running,
# makes sure the test role exists, drops the databases an earlier run left behind, and
# exports TEST_DATABASE_URL (the suites create a fresh database per test under it).
# With TEST_DATABASE_URL already set, uses that server as it is.

_pg_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres "$@"
  fi
}

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
    cluster="$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')"
    if [ -z "$cluster" ]; then
      version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
      echo "postgres.sh: creating cluster $version main"
      if [ "$(id -u)" -eq 0 ]; then pg_createcluster "$version" main; else sudo pg_createcluster "$version" main; fi
      cluster="$version main"
    fi
    echo "postgres.sh: starting PostgreSQL $cluster"
    # shellcheck disable=SC2086
    if [ "$(id -u)" -eq 0 ]; then pg_ctlcluster $cluster start; else sudo pg_ctlcluster $cluster start; fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  fi
  _pg_as_postgres psql -q -v ON_ERROR_STOP=1 -d postgres <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'helpdesk') THEN
    CREATE ROLE helpdesk LOGIN PASSWORD 'helpdesk' CREATEDB;
  END IF;
END $$;
SQL
  export TEST_DATABASE_URL="postgres://helpdesk:helpdesk@127.0.0.1:5432/postgres"
fi

# A fresh start for this run: no database of an earlier run is reused.
for _db in $(psql "$TEST_DATABASE_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'helpdesk_test_%'"); do
  psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $_db WITH (FORCE)"
done
unset _db
