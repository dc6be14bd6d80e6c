#!/usr/bin/env bash
# Builds parley's libFuzzer targets (fuzz/) and replays or runs them.
#
#   scripts/fuzz.sh build          build the targets only
#   scripts/fuzz.sh replay         build, then run each target once over its committed corpus
#   scripts/fuzz.sh run SECONDS    build, fuzz each target for SECONDS on a copy of its corpus
#                                  (new inputs stay in the build dir), then replay
#
# Environment:
#   BUILD_DIR        build directory, relative to the repository (default build-fuzz)
#   CC               compiler for a new build directory (default clang)
#   FUZZ_STANDALONE  1: configure fuzz/ as a project of its own (needs only clang, libsodium, jansson)
#                    instead of the whole tree with -DPARLEY_FUZZ=ON; useful while the rest of
#                    the tree does not build. Use a separate BUILD_DIR for each way.
#   FUZZ_TARGETS     the targets to use (default: all: fuzz_frame fuzz_msg fuzz_vpkt fuzz_vframe fuzz_cmd
#                    fuzz_e2e fuzz_stun fuzz_dmsg fuzz_clientcfg fuzz_cidr fuzz_ice fuzz_rdv)
#
# Exits non-zero if any target crashed, hung or failed to build (2 for a usage error). The last
# line of output of every build, replay or run is `N passed, N failed`, counting targets.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
read -ra targets <<<"${FUZZ_TARGETS:-fuzz_frame fuzz_msg fuzz_vpkt fuzz_vframe fuzz_cmd fuzz_e2e fuzz_stun fuzz_dmsg fuzz_clientcfg fuzz_cidr fuzz_ice fuzz_rdv}"
build=${BUILD_DIR:-build-fuzz}
case $build in /*) ;; *) build=$root/$build ;; esac

usage() {
	sed -n '2,/^set -uo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

mode=${1:-}
secs=
case $mode in
build | replay) [ $# -eq 1 ] || usage ;;
run)
	[ $# -eq 2 ] || usage
	secs=$2
	[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS must be a positive integer" >&2; exit 2; }
	;;
*) usage ;;
esac

passed=0
failed=0
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# --- build ---

if [ "${FUZZ_STANDALONE:-0}" = 1 ]; then
	src=$root/fuzz
	cmake_args=()
else
	src=$root
	cmake_args=(-DPARLEY_FUZZ=ON)
fi
if [ -f "$build/CMakeCache.txt" ]; then
	home=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
	if [ "$home" != "$src" ]; then
		echo "fuzz.sh: $build was configured from $home, not $src;" \
			"remove it or choose another BUILD_DIR" >&2
		failed=${#targets[@]}
		summary
	fi
fi
echo "== configuring $build from $src"
mkdir -p "$build"
if ! CC=${CC:-clang} cmake -S "$src" -B "$build" "${cmake_args[@]}" >"$build/configure.log" 2>&1; then
	tail -n 30 "$build/configure.log" >&2
	echo "fuzz.sh: configuring failed (log: $build/configure.log)." >&2
	[ -z "${FUZZ_STANDALONE:-}" ] &&
		echo "fuzz.sh: if the rest of the tree does not build yet, try FUZZ_STANDALONE=1" \
			"BUILD_DIR=build-fuzz-standalone." >&2
	failed=${#targets[@]}
	summary
fi
echo "== building ${targets[*]}"
if ! cmake --build "$build" --target "${targets[@]}" -j "$(nproc 2>/dev/null || echo 2)" \
	>"$build/build.log" 2>&1; then
	grep -E "error|Error" "$build/build.log" | head -n 30 >&2
	echo "fuzz.sh: building failed (log: $build/build.log)" >&2
	failed=${#targets[@]}
	summary
fi
[ "$mode" = build ] && { passed=${#targets[@]}; summary; }

# --- run and replay ---

mkdir -p "$build/logs" "$build/artifacts"

# Common libFuzzer options: hangs are failures too; crash inputs go to the build dir.
fuzz_opts() {
	local t=$1
	echo "-timeout=10 -rss_limit_mb=2048 -artifact_prefix=$build/artifacts/$t-"
}

# fuzz TARGET: SECONDS of fuzzing on a copy of the corpus. Prints executions and corpus growth.
fuzz() {
	local t=$1 bin=$build/fuzz/$1 work=$build/corpus-run/$1 log=$build/logs/$1.run.log
	local dict=$root/fuzz/dict/$t.dict dict_opt=()
	[ -f "$dict" ] && dict_opt=(-dict="$dict")
	rm -rf "$work"
	mkdir -p "$work"
	cp "$root/fuzz/corpus/$t/." "$work/" -r 2>/dev/null
	local before
	before=$(find "$work" -type f | wc -l)
	# shellcheck disable=SC2046
	"$bin" $(fuzz_opts "$t") "${dict_opt[@]}" -max_total_time="$secs" -print_final_stats=1 \
		"$work" >"$log" 2>&1
	local rc=$?
	local execs cov after
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
	after=$(find "$work" -type f | wc -l)
	echo "   $t: ${execs:-?} executions in ${secs} s, ${cov:-cov: ?}, corpus $before -> $after"
	if [ $rc -ne 0 ]; then
		echo "   $t: FAILED (exit $rc); log $log" >&2
		grep -E "ERROR|SUMMARY|invariant failed|Test unit written" "$log" | head -n 10 >&2
		return 1
	fi
}

# replay TARGET: every committed seed once (-runs=0), as CI does.
replay() {
	local t=$1 bin=$build/fuzz/$1 corpus=$root/fuzz/corpus/$1 log=$build/logs/$1.replay.log
	local n
	n=$(find "$corpus" -type f 2>/dev/null | wc -l)
	# shellcheck disable=SC2046
	if ! "$bin" $(fuzz_opts "$t") -runs=0 "$corpus" >"$log" 2>&1; then
		echo "   $t: replay of $n seeds FAILED; log $log" >&2
		grep -E "ERROR|SUMMARY|invariant failed|Test unit written" "$log" | head -n 10 >&2
		return 1
	fi
	echo "   $t: replayed $n seeds"
}

for t in "${targets[@]}"; do
	ok=1
	if [ "$mode" = run ]; then
		echo "== fuzzing $t for $secs s"
		fuzz "$t" || ok=0
	fi
	echo "== replaying $t"
	replay "$t" || ok=0
	if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
summary
