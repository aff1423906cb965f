#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 60s):
# make fuzz, or FUZZTIME=10s scripts/fuzz.sh. Targets run one after the
# other; the first crash stops the run and leaves its input in the
# package's testdata/fuzz, to commit with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-60s}"
go="${GO:-go}"
found=0
while IFS= read -r file; do
	pkg="./$(dirname "$file")"
	for name in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
		found=$((found + 1))
		echo "== $pkg $name ($fuzztime)"
		"$go" test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"
	done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort)
echo "fuzz: $found targets ran $fuzztime each, no crash"
