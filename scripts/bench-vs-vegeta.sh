#!/usr/bin/env bash
# Side-by-side: stampede and vegeta send the same constant load to the same
# local target (127.0.0.1 only), and we compare what each cost: CPU seconds
# and peak memory, as ratios measured in one run on the same machine.
#
#   scripts/bench-vs-vegeta.sh [RATE] [DURATION]     default 2000/s for 10s
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-2000}
duration=${2:-10s}
work=$(mktemp -d)
trap 'kill $target_pid 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/stampede" ./cmd/stampede
go build -o "$work/vegeta" github.com/tsenart/vegeta/v12
go build -o "$work/target" ./scripts/benchtarget

"$work/target" > "$work/addr" &
target_pid=$!
for _ in $(seq 50); do [ -s "$work/addr" ] && break; sleep 0.1; done
url=$(cat "$work/addr")
[ -n "$url" ] || { echo "bench target did not start" >&2; exit 1; }

measure() { # name, command...
	local name=$1; shift
	/usr/bin/time -f "%U %S %M" -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err"
	read -r user sys rss < "$work/$name.time"
	echo "$name $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}') $rss"
}

echo "GET $url" > "$work/targets"
s=$(measure stampede "$work/stampede" attack --url "$url" --rate "$rate/s" --duration "$duration" -o "$work/s.bin" --quiet --format json)
v=$(measure vegeta sh -c "\"$work/vegeta\" attack -targets \"$work/targets\" -rate $rate/s -duration $duration -max-body 0 > \"$work/v.bin\" && \"$work/vegeta\" report -type json < \"$work/v.bin\"")

s_req=$(grep -o '"requests": [0-9]*' "$work/stampede.out" | grep -o '[0-9]*$')
v_req=$(grep -o '"requests":[0-9]*' "$work/vegeta.out" | grep -o '[0-9]*$')
read -r _ s_cpu s_rss <<< "$s"
read -r _ v_cpu v_rss <<< "$v"
printf '\n%-10s %10s %10s %12s %10s\n' tool requests cpu_s peak_rss_MiB bytes/req
printf '%-10s %10s %10s %12s %10s\n' stampede "$s_req" "$s_cpu" "$((s_rss / 1024))" "$(( $(stat -c %s "$work/s.bin") / (s_req > 0 ? s_req : 1) ))"
printf '%-10s %10s %10s %12s %10s\n' vegeta "$v_req" "$v_cpu" "$((v_rss / 1024))" "$(( $(stat -c %s "$work/v.bin") / (v_req > 0 ? v_req : 1) ))"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }
printf '\nratios stampede/vegeta: cpu %s, peak memory %s, result bytes per request %s\n' \
	"$(ratio "$s_cpu" "$v_cpu")" "$(ratio "$s_rss" "$v_rss")" \
	"$(ratio "$(( $(stat -c %s "$work/s.bin") * v_req ))" "$(( $(stat -c %s "$work/v.bin") * s_req ))")"
echo "(vegeta's CPU includes its report pass over the result file; stampede summarises while it runs)"
