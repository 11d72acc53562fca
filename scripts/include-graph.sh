#!/usr/bin/env bash
# The house rules, checked on every `make test`:
#   - folders include only folders BELOW them (the layers below): no upward or sideways
#     include, hence no cycle between folders;
#   - SQL and database handles stay in store/: <sqlite3.h> and <libpq-fe.h> are included only
#     there, and kc_store_db() (the SQLite handle, for tests) is called only by tests;
#   - library code never prints: below auditor/ (the CLI), diagnostics go through
#     common/log.h (so --log-format json holds for every line); writing to a FILE * one is
#     given is fine, stderr/stdout by name are not (a line marked kc-print-ok is exempt).
# Usage: scripts/include-graph.sh [--print]   (--print: the folder graph, one edge a line)
# Exit 1 with one line per violation (file:line: what) when a rule is broken.
set -u
cd "$(dirname "$0")/.." || exit 2

# The layers, bottom first. A folder may include folders of a LOWER layer only. A new folder
# gets a line here (docs/architecture.md says which).
LAYERS="
common 0
store 1
checks 2
auditlog 3
bpf 3
reports 3
remediation 3
gitops 4
auditor 5
"

modules=$(sed -n 's/^MODULES *:= *//p' Makefile)
[ -n "$modules" ] || { echo "include-graph: no MODULES line in the Makefile" >&2; exit 2; }

rank() { awk -v f="$1" '$1 == f { print $2 }' <<<"$LAYERS"; }

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

for m in $modules; do
	[ -d "$m" ] || continue
	r=$(rank "$m")
	if [ -z "$r" ]; then
		echo "include-graph: folder $m is in MODULES but has no layer in scripts/include-graph.sh"
		bad=1
		continue
	fi
	# every quoted include of a file under a module folder, as "file:line:target-folder"
	while IFS=: read -r file line target; do
		[ "$target" = "$m" ] && continue
		case " $modules " in *" $target "*) ;; *) continue ;; esac
		echo "$m $target" >>"$edges"
		t=$(rank "$target")
		if [ -n "$t" ] && [ "$t" -ge "$r" ]; then
			kind=upward
			[ "$t" -eq "$r" ] && kind=sideways
			echo "$file:$line: $kind include: $m (layer $r) includes $target (layer $t)"
			bad=1
		fi
	done < <(grep -rnE --include='*.c' --include='*.h' '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[^"/]+/' "$m" |
		sed -E 's/^([^:]+):([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"/]+)\/.*/\1:\2:\3/')
done

# a cycle between folders (the layer rule above already excludes one; this holds even for a
# folder added without a layer)
if ! sort -u "$edges" | tsort >/dev/null 2>&1; then
	echo "include-graph: a cycle between folders:"
	sort -u "$edges" | tsort 2>&1 >/dev/null | sed 's/^/  /'
	bad=1
fi

# SQL only in the store
for m in $modules; do
	[ "$m" = store ] && continue
	[ -d "$m" ] || continue
	grep -rnE --include='*.c' --include='*.h' '#[[:space:]]*include[[:space:]]*<(sqlite3|libpq-fe)\.h>' "$m" |
		sed 's/$/: a database library outside store\/ (call the store'"'"'s typed functions)/'
	grep -rnE --include='*.c' --include='*.h' 'kc_store_db[[:space:]]*\(' "$m" |
		sed 's/$/: kc_store_db() outside tests (the store hands out no database handle)/'
done | grep . && bad=1

# library code never prints (common/log.c itself is the one place that writes the log)
for m in $modules; do
	[ "$m" = auditor ] && continue
	[ -d "$m" ] || continue
	grep -rnE --include='*.c' '(fprintf|fputs|fputc|fwrite|vfprintf)[[:space:]]*\(.*\b(stderr)\b|(^|[^a-z_.>])(printf|puts|putchar|perror)[[:space:]]*\(' "$m" |
		grep -v 'kc-print-ok' | grep -v '^common/log\.c:' |
		sed 's/$/: library code prints (use common\/log.h, or write to the FILE * you are given)/'
done | grep . && bad=1

if [ "${1:-}" = "--print" ]; then
	sort "$edges" | uniq -c | awk '{ printf "%-12s -> %-12s (%d includes)\n", $2, $3, $1 }'
fi
exit $bad
