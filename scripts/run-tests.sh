#!/usr/bin/env bash
# Runs each cmocka suite, shows its summary, and closes with one aggregate line:
# "tests: N passed, N failed, N skipped". Exit 1 when any suite failed or crashed.
set -u
passed=0 failed=0 skipped=0 bad_suites=()
log_dir=${KC_BUILD:-build}/test-logs
mkdir -p "$log_dir"
for t in "$@"; do
	name=$(basename "$t")
	log="$log_dir/$name.log"
	"$t" >"$log" 2>&1
	rc=$?
	p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
	f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
	s=$(grep -Eo '^\[  SKIPPED \] [0-9]+ test' "$log" | grep -Eo '[0-9]+' | tail -1)
	p=${p:-0} f=${f:-0} s=${s:-0}
	grep -E '^kc-skip:' "$log" | sort -u | sed "s/^/  $name: /"
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1; echo "  $name: exited with $rc"; tail -n 20 "$log" | sed "s/^/    /"
	fi
	[ "$f" -gt 0 ] && { bad_suites+=("$name"); grep -E 'Failure|error:|ERROR|FAIL' "$log" | head -20 | sed 's/^/    /'; }
	printf '%-28s %s passed, %s failed, %s skipped\n' "$name" "$p" "$f" "$s"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ ${#bad_suites[@]} -eq 0 ] || { echo "failing suites: ${bad_suites[*]} (logs in $log_dir)"; exit 1; }
