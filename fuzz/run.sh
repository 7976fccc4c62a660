#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), seeded from fuzz/seeds and the test
# data's captures (tests/data). Fails on any crash, timeout or out-of-memory (libFuzzer exits non-zero).
#   bash fuzz/run.sh 60            # CI
#   bash fuzz/run.sh 3600          # an hour per target
#   RUSTC_BOOTSTRAP=1 cargo fuzz run parse_frame -- -max_total_time=36000   # one target, for hours
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
data="$(cd .. && pwd)/tests/data"
targets=(parse_frame dissect_any_link parse_ipv4 parse_ipv6 parse_tcp tcp_options capture tracker reassembly)
cargo fuzz build -O
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  cp -n seeds/* "corpus/$t/" 2>/dev/null || true
  if [ "$t" = capture ]; then
    find "$data" -name '*.pcap*' -size -64k -exec cp -n {} "corpus/$t/" \;
  fi
  echo "== fuzz $t for ${secs}s"
  mkdir -p logs
  if ! cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 >"logs/$t.txt" 2>&1; then
    tail -40 "logs/$t.txt"
    echo "fuzz target $t failed: see fuzz/artifacts/$t"
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^Done" "logs/$t.txt" || true
done
