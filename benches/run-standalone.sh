#!/usr/bin/env bash
# Runs a prebuilt paired binary on a machine that has no cargo (or no network),
# and leaves what `cargo xtask bench --import OUT` records into docs/:
#   OUT/rounds.tsv    the binary's output: one ROUND line per turn
#   OUT/machine.tsv   cpu, threads, date, command
#
# Build the binary with `cargo build --release -p fearless-benches --example paired`
# (target/release/examples/paired), copy it over, then:
#
# usage: run-standalone.sh PAIRED_BINARY OUT THREADS [paired options...]
#   e.g. run-standalone.sh ./paired /tmp/out 1,2,4,8,16 --rounds 9 'atomic_counter|stack_'
set -euo pipefail
binary=$1 out=$2 threads=$3
shift 3
mkdir -p "$out"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)
printf 'cpu\t%s\nthreads\t%s\ndate\t%s\ncommand\t%s\n' \
  "$cpu" "$(nproc)" "$(date -u +%F)" \
  "benches/run-standalone.sh $(basename "$binary") OUT $threads $*" >"$out/machine.tsv"
FEARLESS_BENCH_THREADS=$threads "$binary" "$@" >"$out/rounds.tsv"
