#!/usr/bin/env bash
# Runs a prebuilt bench binary on a machine that has no cargo (or no network),
# and leaves what `cargo xtask bench --import OUT` records into docs/:
#   OUT/criterion/    criterion's results (CRITERION_HOME)
#   OUT/machine.tsv   cpu, threads, date, command
#
# usage: run-standalone.sh BENCH_BINARY OUT THREADS [criterion options...]
#   e.g. run-standalone.sh ./atomics /tmp/out 1,2,4,8,16 --warm-up-time 1 --measurement-time 2
set -euo pipefail
binary=$1 out=$2 threads=$3
shift 3
mkdir -p "$out"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)
printf 'cpu\t%s\nthreads\t%s\ndate\t%s\ncommand\t%s\n' \
  "$cpu" "$(nproc)" "$(date -u +%F)" \
  "benches/run-standalone.sh $(basename "$binary") OUT $threads $*" >"$out/machine.tsv"
FEARLESS_BENCH_THREADS=$threads CRITERION_HOME="$out/criterion" "$binary" --bench --noplot "$@"
