#!/usr/bin/env bash
# reset-db.sh: drops the database DATABASE_URL names and creates it again, empty, for make reset
# (which runs it through with-postgres.sh, then migrates and seeds the demo). Connections to the
# database, a running p4w's included, are ended. It refuses PostgreSQL's own databases.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL is not set}"
db=$(psql "$DATABASE_URL" -XAtqc 'SELECT current_database()')
case $db in
postgres | template0 | template1)
	echo "reset-db: refusing to drop the database $db" >&2
	exit 1
	;;
esac
# The same server, its postgres database: a database cannot be dropped from a connection to it.
admin=$(printf '%s' "$DATABASE_URL" | sed 's#^\(postgres\(ql\)\{0,1\}://[^/]*\)/[^?]*#\1/postgres#')
quoted=$(psql "$admin" -XAtqc "SELECT quote_ident('$(printf '%s' "$db" | sed "s/'/''/g")')")
echo "reset-db: dropping and creating the database $db" >&2
psql "$admin" -Xqc "DROP DATABASE IF EXISTS $quoted WITH (FORCE)"
psql "$admin" -Xqc "CREATE DATABASE $quoted"
