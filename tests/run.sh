#!/usr/bin/env bash
# Runs every test of one build variant: the unit-test binaries given as
# arguments, then every tests/e2e/*.sh (with GW_BUILD naming the build dir,
# so they use $GW_BUILD/gatewatch and $GW_BUILD/tools/*). Prints one line per
# test and a closing "N passed, N failed" line; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
: "${GW_BUILD:=build}"
export GW_BUILD
export GW_BIN="$PWD/$GW_BUILD/gatewatch"
export GW_TOOLS="$PWD/$GW_BUILD/tools"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}"

passed=0
failed=0
failures=()
logdir=$(mktemp -d "${TMPDIR:-/tmp}/gw-tests.XXXXXX")
trap 'rm -rf "$logdir"' EXIT

run_one() {
	local name=$1; shift
	local log="$logdir/$(echo "$name" | tr '/' '_').log"
	local t0=$SECONDS
	if timeout 300 "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		printf 'PASS  %-40s %3ss\n' "$name" $((SECONDS - t0))
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf 'FAIL  %-40s %3ss\n' "$name" $((SECONDS - t0))
		sed 's/^/      | /' "$log" | tail -n 60
	fi
}

for t in "$@"; do
	run_one "unit/$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
	[ -x "$t" ] || continue
	case "$(basename "$t")" in lib.sh) continue ;; esac
	run_one "e2e/$(basename "$t" .sh)" "$t"
done

echo "[$GW_BUILD] $passed passed, $failed failed"
if [ "$failed" -gt 0 ]; then
	printf 'failed: %s\n' "${failures[@]}"
	exit 1
fi
