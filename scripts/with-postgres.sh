#!/usr/bin/env bash
# with-postgres.sh CMD [ARGS...]
#
# Runs CMD with DATABASE_URL exported.
#
# If DATABASE_URL is already set and non-empty, CMD is simply exec'd. Otherwise a throwaway,
# socket-only PostgreSQL cluster is provisioned for this repository (under .data/pg, or under
# /var/tmp/p4w-pg-<hash> when the repository is not reachable by the database's OS user), a
# database "p4w" is created in it, and CMD runs against it:
#
#   DATABASE_URL=postgres://postgres@/p4w?host=<socket dir>&port=<port>&sslmode=disable
#
# The cluster listens on a Unix socket only (no TCP), so it never collides with another server on
# the machine. A cluster this invocation started is stopped when CMD exits; a cluster that was
# already running (say a `make run` in another shell) is reused and left running. When the cluster
# this invocation started is still used by another invocation, stopping it is handed over to the
# last invocation using it.
#
# Environment:
#   DATABASE_URL    use this database, provision nothing
#   P4W_PG_PORT     port number naming the socket file (default 55432; no TCP port is opened)
#   P4W_PG_BINDIR   directory with initdb, pg_ctl and postgres (default: found automatically)
#
# Progress goes to stderr, prefixed "with-postgres:". The exit status is CMD's.

set -euo pipefail

log() { printf 'with-postgres: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

if [ "$#" -eq 0 ]; then
	die "usage: $0 CMD [ARGS...]"
fi

if [ -n "${DATABASE_URL:-}" ]; then
	exec "$@"
fi

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PORT=${P4W_PG_PORT:-55432}
case $PORT in
'' | *[!0-9]*) die "P4W_PG_PORT must be a port number, got '$PORT'" ;;
esac
if [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
	die "P4W_PG_PORT must be between 1 and 65535, got '$PORT'"
fi

IS_ROOT=0
if [ "$(id -u)" -eq 0 ]; then
	IS_ROOT=1
fi

# --- server binaries -------------------------------------------------------------------------

has_server_bins() {
	[ -n "$1" ] && [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]
}

# Major version of the server binaries in directory $1 ("15" for "postgres (PostgreSQL) 15.14").
bin_major() {
	"$1/postgres" --version | sed -n 's/^[^0-9]*\([0-9][0-9]*\).*/\1/p'
}

find_bindir() {
	local d
	if [ -n "${P4W_PG_BINDIR:-}" ]; then
		has_server_bins "$P4W_PG_BINDIR" || die "P4W_PG_BINDIR=$P4W_PG_BINDIR has no initdb, pg_ctl and postgres"
		printf '%s\n' "$P4W_PG_BINDIR"
		return 0
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if has_server_bins "$d"; then
			printf '%s\n' "$d"
			return 0
		fi
	fi
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -V -r); do
		if has_server_bins "$d"; then
			printf '%s\n' "$d"
			return 0
		fi
	done
	return 1
}

install_postgres() {
	local sudo=()
	if [ "$IS_ROOT" -ne 1 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			die "no PostgreSQL server binaries found; install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL"
		fi
	fi
	command -v apt-get >/dev/null 2>&1 ||
		die "no PostgreSQL server binaries found and no apt-get; install PostgreSQL or set DATABASE_URL"
	log "no PostgreSQL server binaries found: installing the postgresql package (only its binaries are used)"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 install -y postgresql >&2
}

BINDIR=$(find_bindir) || {
	install_postgres
	BINDIR=$(find_bindir) || die "PostgreSQL server binaries still not found after installing postgresql"
}

# psql from the same installation when there is one.
PSQL=$BINDIR/psql
if [ ! -x "$PSQL" ]; then
	PSQL=$(command -v psql || true)
	[ -n "$PSQL" ] || die "psql not found (looked in $BINDIR and PATH)"
fi

# --- OS user running the cluster -------------------------------------------------------------

# initdb and postgres refuse to run as root: as root, run them as an unprivileged system user.
RUNAS=()
PG_OS_USER=$(id -un)
if [ "$IS_ROOT" -eq 1 ]; then
	command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is needed to run PostgreSQL as an unprivileged user"
	if id -u postgres >/dev/null 2>&1; then
		PG_OS_USER=postgres
	else
		PG_OS_USER=p4wpg
		if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
			log "creating system user $PG_OS_USER to run PostgreSQL"
			useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER" 2>/dev/null ||
				id -u "$PG_OS_USER" >/dev/null 2>&1 || die "could not create system user $PG_OS_USER"
		fi
	fi
	RUNAS=(runuser -u "$PG_OS_USER" --)
fi

# as_pg CMD...: run CMD as the cluster's OS user, from / (the caller's working directory may be
# unreadable for that user).
as_pg() {
	(cd / && "${RUNAS[@]}" "$@")
}

# --- where the cluster lives -------------------------------------------------------------------

# prepare_base DIR: create DIR (the parent of the data and socket directories) owned by the
# cluster's user, mode 700; fail (quietly) when that user cannot reach or write it.
prepare_base() {
	local base=$1
	if [ -L "$base" ]; then
		return 1
	fi
	mkdir -p "$base" 2>/dev/null || return 1
	if [ "$IS_ROOT" -eq 1 ]; then
		chown "$PG_OS_USER:" "$base" 2>/dev/null || return 1
	fi
	chmod 700 "$base" 2>/dev/null || return 1
	as_pg test -d "$base" -a -x "$base" -a -w "$base" 2>/dev/null
}

SOCKET_SUFFIX=/sock/.s.PGSQL.$PORT
# Unix socket paths are limited to 107 bytes (less on some systems): keep a margin.
MAX_SOCKET_PATH=100

BASE=$REPO_ROOT/.data
use_fallback=""
if [ "$IS_ROOT" -eq 1 ] && ! as_pg test -x "$REPO_ROOT" 2>/dev/null; then
	use_fallback="$PG_OS_USER cannot traverse to $REPO_ROOT"
elif [ $((${#BASE} + ${#SOCKET_SUFFIX})) -gt "$MAX_SOCKET_PATH" ]; then
	use_fallback="the socket path under $BASE would be too long"
elif ! prepare_base "$BASE"; then
	use_fallback="$BASE is not usable by $PG_OS_USER"
fi
if [ -n "$use_fallback" ]; then
	hash=$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)
	BASE=/var/tmp/p4w-pg-$hash
	log "$use_fallback: using $BASE instead"
	if [ -e "$BASE" ] || [ -L "$BASE" ]; then
		# Never adopt a directory someone else planted in the world-writable /var/tmp.
		[ -d "$BASE" ] && [ ! -L "$BASE" ] || die "$BASE exists and is not a directory"
		owner=$(stat -c %U "$BASE")
		[ "$owner" = "$PG_OS_USER" ] || die "$BASE is owned by $owner, not $PG_OS_USER; remove it"
	fi
	prepare_base "$BASE" || die "cannot prepare $BASE for $PG_OS_USER"
fi

PGDATA_DIR=$BASE/pg
SOCK_DIR=$BASE/sock
case $BASE in
*"'"* | *'"'* | *'\'*) die "$BASE contains a quote or a backslash, which pg_ctl cannot pass on" ;;
esac
LOCK_FILE=$BASE/lock
USERS_FILE=$BASE/users.lock
HANDOFF_FILE=$BASE/stop-when-idle
log "data directory $PGDATA_DIR (PostgreSQL $(bin_major "$BINDIR") from $BINDIR)"

# --- provisioning, under a lock ----------------------------------------------------------------

STARTED=0    # this invocation started the cluster
LOCK_FD=""   # provisioning lock
USERS_FD=""  # shared lock held while CMD runs: tells a stopping owner the cluster is in use

lock_provision() {
	if [ -z "$LOCK_FD" ]; then
		exec {LOCK_FD}>>"$LOCK_FILE"
	fi
	if ! flock -n "$LOCK_FD"; then
		log "waiting for another with-postgres invocation ($LOCK_FILE)"
		flock -w 600 "$LOCK_FD" || die "timed out waiting for $LOCK_FILE"
	fi
}

unlock_provision() {
	if [ -n "$LOCK_FD" ]; then
		exec {LOCK_FD}>&-
		LOCK_FD=""
	fi
}

stop_cluster() {
	log "stopping the cluster in $PGDATA_DIR"
	as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null ||
		log "warning: pg_ctl stop failed; see $PGDATA_DIR/server.log"
}

cleanup() {
	set +e
	if [ "$STARTED" -ne 1 ] && [ ! -e "$HANDOFF_FILE" ]; then
		# Not ours to stop (nothing started, or a cluster somebody else runs).
		[ -n "$USERS_FD" ] && exec {USERS_FD}>&-
		unlock_provision
		return 0
	fi
	# Decide under the provisioning lock, so that two invocations ending together cannot both
	# leave the cluster to the other.
	lock_provision
	if [ -n "$USERS_FD" ]; then
		exec {USERS_FD}>&-
		USERS_FD=""
	fi
	local probe
	exec {probe}>>"$USERS_FILE"
	if flock -x -n "$probe"; then
		# Nobody else is using the cluster.
		if [ "$STARTED" -eq 1 ] || [ -e "$HANDOFF_FILE" ]; then
			if as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
				if [ "$STARTED" -ne 1 ]; then
					log "the invocation that started the cluster has finished and handed it over"
				fi
				stop_cluster
			fi
			rm -f "$HANDOFF_FILE"
		fi
	elif [ "$STARTED" -eq 1 ]; then
		touch "$HANDOFF_FILE"
		log "the cluster is still used by another with-postgres invocation: the last one to finish stops it"
	fi
	exec {probe}>&-
	unlock_provision
}

trap 'rc=$?; trap - EXIT; cleanup; exit "$rc"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

lock_provision

if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
	cluster_major=$(cat "$PGDATA_DIR/PG_VERSION")
	if [ "$cluster_major" != "$(bin_major "$BINDIR")" ]; then
		if has_server_bins "/usr/lib/postgresql/$cluster_major/bin"; then
			BINDIR=/usr/lib/postgresql/$cluster_major/bin
			log "the cluster is PostgreSQL $cluster_major: using $BINDIR"
		else
			die "the cluster in $PGDATA_DIR is PostgreSQL $cluster_major but the binaries are $(bin_major "$BINDIR"); it is throwaway: remove $PGDATA_DIR and retry"
		fi
	fi
else
	if [ -e "$PGDATA_DIR" ] && [ -n "$(ls -A "$PGDATA_DIR" 2>/dev/null)" ]; then
		die "$PGDATA_DIR exists but holds no cluster; remove it and retry"
	fi
	log "initialising a new cluster in $PGDATA_DIR"
	initdb_common=(--pgdata="$PGDATA_DIR" --auth=trust --username=postgres --encoding=UTF8)
	if ! as_pg "$BINDIR/initdb" "${initdb_common[@]}" --locale=C.UTF-8 >"$BASE/initdb.log" 2>&1; then
		log "initdb with locale C.UTF-8 failed; retrying with --no-locale"
		rm -rf "$PGDATA_DIR"
		as_pg "$BINDIR/initdb" "${initdb_common[@]}" --no-locale >"$BASE/initdb.log" 2>&1 || {
			cat "$BASE/initdb.log" >&2
			die "initdb failed"
		}
	fi
fi

if as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
	# Already running (say a `make run` or a test run in another shell): reuse it, on the
	# socket it actually listens on.
	PORT=$(sed -n 4p "$PGDATA_DIR/postmaster.pid")
	SOCK_DIR=$(sed -n 5p "$PGDATA_DIR/postmaster.pid")
	[ -n "$PORT" ] && [ -n "$SOCK_DIR" ] || die "cannot read the running cluster's socket from $PGDATA_DIR/postmaster.pid"
	log "reusing the running cluster (socket in $SOCK_DIR, port $PORT); this invocation did not start it and leaves it running"
else
	if [ ! -d "$SOCK_DIR" ]; then
		as_pg mkdir -m 700 "$SOCK_DIR"
	fi
	rm -f "$HANDOFF_FILE"
	log "starting the cluster (socket only: $SOCK_DIR/.s.PGSQL.$PORT)"
	STARTED=1
	# The lock descriptor is closed for pg_ctl, or the server would inherit it and hold the lock.
	if ! as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w -t 120 \
		-o "-c listen_addresses='' -k '$SOCK_DIR' -p $PORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start {LOCK_FD}>&- >/dev/null; then
		tail -n 30 "$PGDATA_DIR/server.log" >&2 2>/dev/null || true
		die "could not start PostgreSQL; see $PGDATA_DIR/server.log"
	fi
fi

psql_admin() {
	"$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$PORT" -U postgres -d postgres "$@" {LOCK_FD}>&-
}

if [ -z "$(psql_admin -Atc "SELECT 1 FROM pg_database WHERE datname = 'p4w'")" ]; then
	log "creating database p4w"
	psql_admin -c 'CREATE DATABASE p4w'
fi

# Register as a user of the cluster, then let other invocations provision.
exec {USERS_FD}>>"$USERS_FILE"
flock -s "$USERS_FD"
unlock_provision

# Percent-encode the socket directory for the URL (keeping '/').
urlencode_path() {
	local s=$1 out="" c i
	local LC_ALL=C
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-zA-Z0-9/._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

export DATABASE_URL="postgres://postgres@/p4w?host=$(urlencode_path "$SOCK_DIR")&port=$PORT&sslmode=disable"
log "DATABASE_URL=$DATABASE_URL"

# Not exec: the EXIT trap stops the cluster afterwards. CMD gets neither lock descriptor.
set +e
"$@" {USERS_FD}>&-
rc=$?
set -e
exit "$rc"
