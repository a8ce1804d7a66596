#!/usr/bin/env bash
# Runs the libFuzzer harnesses built in $FUZZ_O/fuzz/ (the Makefile's
# fuzz targets call it):
#   run.sh check SECONDS NAME...  replay each harness's seeds and saved
#                                 crashes (tests/fuzz/regress/NAME/), then
#                                 fuzz it SECONDS
#   run.sh fuzz SECONDS NAME...   fuzz each SECONDS
# New inputs go to $FUZZ_O/corpus/NAME/ (kept between runs, not in the
# tree), crashes to $FUZZ_O/crashes/NAME/. Prints one line per harness
# (executions, executions/s, edges covered) and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
mode=$1
secs=$2
shift 2
: "${FUZZ_O:=build-fuzz}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}"
passed=0
failed=0
logs="$FUZZ_O/logs"
mkdir -p "$logs"

# The value of the last "NAME: VALUE" statistic libFuzzer printed.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

for name in "$@"; do
	bin="$FUZZ_O/fuzz/$name"
	seeds="$FUZZ_O/seeds/$name"
	regress="tests/fuzz/regress/$name"
	corpus="$FUZZ_O/corpus/$name"
	crashes="$FUZZ_O/crashes/$name"
	mkdir -p "$corpus" "$crashes" "$seeds"
	dirs=("$seeds")
	[ -d "$regress" ] && dirs+=("$regress")
	ok=1
	replayed=""
	if [ "$mode" = check ]; then
		n=$(find "${dirs[@]}" -type f | wc -l)
		if "$bin" -runs=0 -timeout=10 "${dirs[@]}" \
		    >"$logs/$name.replay" 2>&1; then
			replayed="replayed $n inputs; "
		else
			ok=0
			echo "FAIL  fuzz/$name: replaying its seeds and regressions"
			tail -n 40 "$logs/$name.replay" | sed 's/^/      | /'
		fi
	fi
	if [ "$ok" = 1 ]; then
		t0=$SECONDS
		if "$bin" -max_total_time="$secs" -timeout=10 \
		    -rss_limit_mb=2048 -print_final_stats=1 \
		    -artifact_prefix="$crashes/" "$corpus" "${dirs[@]}" \
		    >"$logs/$name.run" 2>&1; then
			execs=$(stat number_of_executed_units "$logs/$name.run")
			rate=$(stat average_exec_per_sec "$logs/$name.run")
			cov=$(grep -o 'cov: [0-9]*' "$logs/$name.run" | tail -n 1)
			printf 'PASS  fuzz/%-16s %s%s runs in %ss (%s/s), %s edges\n' \
			    "$name" "$replayed" "$execs" $((SECONDS - t0)) "$rate" \
			    "${cov#cov: }"
		else
			ok=0
			echo "FAIL  fuzz/$name: a new crash, saved in $crashes/"
			{ grep -m1 -A30 'ERROR\|runtime error\|deadly signal' \
			    "$logs/$name.run" || tail -n 20 "$logs/$name.run"; } |
			    sed 's/^/      | /'
			echo "      | (once fixed, keep the input in $regress/)"
		fi
	fi
	if [ "$ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "[fuzz] $passed passed, $failed failed"
[ "$failed" -eq 0 ]
