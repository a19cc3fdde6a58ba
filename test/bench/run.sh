#!/usr/bin/env bash
# `npm run bench`: every benchmark in test/bench, one after the other (never in parallel: they
# measure CPU), each printing its figures and one JSON line. The JSON lines are collected in
# var/bench/results.jsonl with the time of the run. Pass names to run some only:
#   npm run bench -- radius poller
# Traffic stays on 127.0.0.1; MariaDB benches create and drop their own database. `galera` needs
# the Debian packages galera-4, mariadb-server and rsync (apt-get install -y galera-4): it starts
# its own 3-node cluster on ports 33301-33303 (replication, IST and SST on 34441-34573) and stops with status 2 without them.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/setup/system-deps.sh
[ -d node_modules ] || npm ci

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(routeros poller radius radius-e2e agent-memory ingest rollup import unclaimed sqlite-writes pdf billing enforcer dunning restore galera)
fi

mkdir -p var/bench
out="var/bench/results.jsonl"
for name in "${names[@]}"; do
  file="test/bench/${name}.bench.ts"
  [ -f "$file" ] || { echo "no such benchmark: $name (files: $(ls test/bench/*.bench.ts | xargs -n1 basename | sed 's/.bench.ts//' | tr '\n' ' '))" >&2; exit 2; }
  echo
  echo "=== ${name} ($(date -u +%FT%TZ))"
  log="$(mktemp)"
  npx tsx "$file" | tee "$log"
  last_json="$(grep -E '^\{.*\}$' "$log" | tail -n 1 || true)"
  if [ -n "$last_json" ]; then
    printf '{"bench":"%s","at":"%s","result":%s}\n' "$name" "$(date -u +%FT%TZ)" "$last_json" >> "$out"
  fi
  rm -f "$log"
done
echo
echo "results appended to $out"
