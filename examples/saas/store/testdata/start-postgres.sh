#!/usr/bin/env bash
# start-postgres.sh starts a throwaway PostgreSQL for the store tests on
# 127.0.0.1 and prints its URL on stdout (everything else goes to stderr).
#
#   export TEST_DATABASE_URL="$(examples/saas/store/testdata/start-postgres.sh)"
#   trap 'examples/saas/store/testdata/start-postgres.sh stop' EXIT
#   go test -race ./examples/saas/...
#
# start (the default) is idempotent: a running cluster is reused, a stopped
# one restarted. stop stops the server and deletes its directory.
#
# Works on Debian/Ubuntu as root (installs the postgresql package when it is
# missing and runs the server as the postgres user, since postgres refuses
# to run as root) or as an ordinary user with PostgreSQL installed.
#
# Environment: PGTEST_DIR (default /tmp/clerkkit-saas-pg) holds the cluster;
# PGTEST_PORT (default: the first free port from 54329) is the TCP port.
# The cluster is for tests only: fsync is off.
set -euo pipefail

dir="${PGTEST_DIR:-/tmp/clerkkit-saas-pg}"
data="$dir/data"
role=saas
password=saas
db=saas_test

log() { printf 'start-postgres: %s\n' "$*" >&2; }

# as_pg runs a command as the cluster's owner.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

find_bindir() {
	local d
	d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
	if [ -z "$d" ] && command -v pg_ctl >/dev/null 2>&1; then
		d="$(dirname "$(command -v pg_ctl)")"
	fi
	printf '%s' "$d"
}

bindir="$(find_bindir)"

stop() {
	if [ -n "$bindir" ] && [ -f "$data/PG_VERSION" ]; then
		as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >&2 2>/dev/null || true
	fi
	rm -rf "$dir"
	log "stopped, removed $dir"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

start_server() {
	local port="$1"
	as_pg "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >&2
}

case "${1:-start}" in
stop)
	stop
	exit 0
	;;
start) ;;
*)
	log "usage: $0 [start|stop]"
	exit 2
	;;
esac

if [ -z "$bindir" ]; then
	if [ "$(id -u)" != 0 ]; then
		log "PostgreSQL is not installed; run as root or: sudo apt-get install -y postgresql"
		exit 1
	fi
	log "installing postgresql"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
	bindir="$(find_bindir)"
fi

mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
	chown postgres:postgres "$dir"
fi

if [ ! -f "$data/PG_VERSION" ]; then
	log "initdb in $data"
	as_pg "$bindir/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
		--no-sync -E UTF8 --locale=C.UTF-8 >/dev/null 2>"$dir/initdb.log" ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
fi

if running; then
	port="$(cat "$dir/port")"
else
	port="${PGTEST_PORT:-}"
	if [ -z "$port" ]; then
		if [ -f "$dir/port" ] && port_free "$(cat "$dir/port")"; then
			port="$(cat "$dir/port")"
		else
			for p in $(seq 54329 54429); do
				if port_free "$p"; then port="$p"; break; fi
			done
		fi
	fi
	[ -n "$port" ] || { log "no free port in 54329-54429"; exit 1; }
	start_server "$port" || { cat "$dir/postgres.log" >&2; exit 1; }
	printf '%s\n' "$port" >"$dir/port"
fi

psql() { as_pg "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ -z "$(psql -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" ]; then
	psql -c "CREATE ROLE $role LOGIN PASSWORD '$password'" >&2
fi
if [ -z "$(psql -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
	psql -c "CREATE DATABASE $db OWNER $role" >&2
fi

log "running on 127.0.0.1:$port (data in $data)"
printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable\n' "$role" "$password" "$port" "$db"
