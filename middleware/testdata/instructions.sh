#!/usr/bin/env bash
# instructions.sh: instructions per request of BenchmarkAuthCookie's
# carriers, counted by valgrind (callgrind) inside RequireAuth's handler:
# a figure that, unlike ns/op on a shared machine, does not move with the
# neighbours' load. Each figure is the difference of two run lengths (the
# warm-up, which verifies every token once, cancels out) over the extra
# requests. The garbage collector is off (GOGC=off) so that its assists,
# which depend on the heap's state, do not blur the count: the cost of
# collecting is proportional to the bytes allocated, which -benchmem
# reports (B/op).
#
#	apt-get install valgrind
#	middleware/testdata/instructions.sh            # all carriers, both token modes
#	middleware/testdata/instructions.sh page       # one carrier
#	BIN=old.test middleware/testdata/instructions.sh   # a test binary built before
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-}
if [ -z "$bin" ]; then
	bin=$(mktemp -d)/mw.test
	go test -c -o "$bin" ./middleware/
fi
carriers=${*:-header cookie page cookie-fresh}
short=10000 long=50000
count() { # mode carrier n
	GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--toggle-collect='*requireCtx.func2' "$bin" -test.run '^$' \
		-test.bench "AuthCookie/run=seq/tokens=$1/carrier=$2\$" -test.benchtime "$3x" -test.cpu 1 2>&1 |
		awk '/Collected/ {print $NF}'
}
printf '%-9s %-13s %s\n' tokens carrier instructions/request
for mode in repeated cycling; do
	for c in $carriers; do
		a=$(count "$mode" "$c" $short)
		b=$(count "$mode" "$c" $long)
		printf '%-9s %-13s %d\n' "$mode" "$c" $(((b - a) / (long - short)))
	done
done
