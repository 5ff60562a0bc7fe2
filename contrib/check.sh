#!/bin/sh
# Builds turnout and runs the whole test suite: once as is with
# --enable-werror, once under AddressSanitizer + UndefinedBehaviorSanitizer,
# then `make distcheck`, then a short libFuzzer run of every fuzz target
# (FUZZ_SECONDS each, default 10). Ends with one line "N passed, N failed,
# N skipped".
#   contrib/check.sh            everything
#   contrib/check.sh --quick    only the first build
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
sh contrib/deps.sh || { echo "check: cannot install the build dependencies" >&2; exit 2; }
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 2; }
# The browser test drives the distribution's Chromium with playwright-core;
# the drain tests' app and client speak WebSocket with the ws package.
mkdir -p "$top/_build"
if [ ! -d "$top/_build/node_modules/playwright-core" ] || [ ! -d "$top/_build/node_modules/ws" ]; then
	npm install --no-package-lock --no-save --no-audit --no-fund --prefix "$top/_build" \
		playwright-core@1.65.1 ws@8.18.3 >"$top/_build/npm.log" 2>&1 ||
		echo "check: cannot install playwright-core and ws (see _build/npm.log)" >&2
fi
PLAYWRIGHT_CORE=$top/_build/node_modules/playwright-core
WS_MODULE=$top/_build/node_modules/ws
export PLAYWRIGHT_CORE WS_MODULE
jobs=$(nproc 2>/dev/null || echo 2)
status=0

# build DIR CONFIGURE-ARGS...: configure and build in DIR, run make check.
build () {
	dir=$1; shift
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || return 1
	# (_build/node_modules stays: it is not a build dir)
	"$top/configure" -q "$@" >/dev/null || return 1
	make -s -j"$jobs" >/dev/null || return 1
	make -s -j"$jobs" check || status=1
	cd "$top"
}

build "$top/_build/plain" --enable-werror || status=1
if [ "${1:-}" != --quick ]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		build "$top/_build/sanitize" --enable-werror --enable-sanitizers --enable-debug || status=1
	if ( cd "$top/_build/plain" && make -s distcheck >distcheck.log 2>&1 ); then
		echo "PASS: make distcheck"
		distcheck=pass
	else
		echo "FAIL: make distcheck (see _build/plain/distcheck.log)"
		tail -30 "$top/_build/plain/distcheck.log"
		distcheck=fail
		status=1
	fi
	# The fuzz targets, built by clang with libFuzzer and the sanitizers.
	if ( rm -rf "$top/_build/fuzz" && mkdir -p "$top/_build/fuzz" && cd "$top/_build/fuzz" &&
		"$top/configure" -q CC=clang --enable-fuzzing >/dev/null &&
		make -s -j"$jobs" libturnout.a >/dev/null 2>&1 &&
		make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-10}" >fuzz.log 2>&1 ); then
		echo "PASS: make fuzz"
		grep -E "^fuzz:|number_of_executed_units" "$top/_build/fuzz/fuzz.log"
		fuzz=pass
	else
		echo "FAIL: make fuzz (see _build/fuzz/fuzz.log)"
		tail -40 "$top/_build/fuzz/fuzz.log" 2>/dev/null
		fuzz=fail
		status=1
	fi
fi

# Count every test case the TAP driver recorded, in every build; a skip is
# not a pass.
results () {
	cat "$top"/_build/*/tests/*.trs "$top"/_build/*/tests/unit/*.trs 2>/dev/null |
		grep -c "^:test-result: \($1\)"
}
passed=$(results 'PASS\|XFAIL')
failed=$(results 'FAIL\|XPASS\|ERROR')
skipped=$(results 'SKIP')
for step in "${distcheck:-}" "${fuzz:-}"; do
	case $step in
	pass) passed=$((passed + 1)) ;;
	fail) failed=$((failed + 1)) ;;
	esac
done
# Under CI the pipeline, switch, browser and Prometheus series must run:
# one that skipped (no nginx, HAProxy, node, Chromium or Prometheus) fails
# the run.
if [ -n "${CI:-}" ]; then
	for trs in "$top"/_build/*/tests/t3*.trs "$top"/_build/*/tests/t4001*.trs \
		"$top"/_build/*/tests/t6*.trs; do
		[ -f "$trs" ] && grep -q '^:test-result: SKIP' "$trs" || continue
		echo "FAIL: ${trs#"$top"/_build/} skipped under CI; contrib/deps.sh and the npm packages must install what it needs"
		failed=$((failed + 1))
		status=1
	done
fi
# What a failed script printed, last, where a CI excerpt shows it: its
# first failure with the code and output the test library adds (at most
# three scripts).
shown=0
for trs in "$top"/_build/*/tests/*.trs "$top"/_build/*/tests/unit/*.trs; do
	[ -f "$trs" ] && grep -q '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$trs" || continue
	[ "$shown" -lt 3 ] || break
	shown=$((shown + 1))
	log=${trs%.trs}.log
	echo "--- ${log#"$top"/_build/}, its first failure:"
	first=$(grep -n '^not ok\|^Bail out' "$log" | head -1 | cut -d: -f1)
	if [ -n "$first" ]; then
		sed -n "$first,$((first + 70))p" "$log"
	else
		tail -n 40 "$log"
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" = 0 ] && [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
