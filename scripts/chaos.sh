#!/usr/bin/env bash
# The combined-faults run (test/long/combined-faults.test.ts), K times in a row, one line per run:
#   bash scripts/chaos.sh [--runs 5] [--seed 1000] [--profile long|short] [--hog]
# --seed S gives runs the seeds S, S+1, …; without it each run draws one (printed, to run it again).
# --hog keeps both cores busy for each run with Debian's stress-ng --cpu 2 (installed when missing).
# It stops and starts the local stack's broker (LOCAL_STACK_DIR, LOCAL_KAFKA_PORT and KAFKA_BROKERS
# point it at another one), so nothing else should use that broker meanwhile.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=1; seed=""; profile=long; hog=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    --hog) hog=1; shift ;;
    *) echo "usage: $0 [--runs K] [--seed S] [--profile long|short] [--hog]" >&2; exit 2 ;;
  esac
done
if [ $hog = 1 ] && ! command -v stress-ng >/dev/null 2>&1; then
  echo "[chaos] installing stress-ng" >&2
  apt-get install -y -qq stress-ng >/dev/null || { apt-get update -qq && apt-get install -y -qq stress-ng >/dev/null; }
fi
bash scripts/local-stack/up.sh >&2 || exit 1
mkdir -p test-results
failed=0
for i in $(seq 1 "$runs"); do
  s=${seed:+$((seed + i - 1))}; s=${s:-$((RANDOM * 32768 + RANDOM))}
  out="test-results/chaos-$profile-$s.log"
  hog_pid=""
  if [ $hog = 1 ]; then stress-ng --cpu 2 --quiet & hog_pid=$!; fi
  start=$SECONDS
  CHAOS_SEED=$s CHAOS_PROFILE=$profile npx vitest run --config vitest.long.config.ts test/long/combined-faults.test.ts >"$out" 2>&1
  code=$?
  [ -n "$hog_pid" ] && kill "$hog_pid" 2>/dev/null && wait "$hog_pid" 2>/dev/null
  line=$(grep -a -o '\[combined-faults\] seed=.*' "$out" | tail -1)
  verdict=PASS; [ $code = 0 ] || { verdict=FAIL; failed=$((failed + 1)); }
  echo "run $i/$runs $verdict${hog_pid:+ (cpu hog)} ${line:-(no summary: see $out)} wall=$((SECONDS - start))s log=$out"
done
[ $failed = 0 ]
