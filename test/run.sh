#!/usr/bin/env bash
# The test command (`npm test`; on a fresh clone `npm ci && npm test`, or `npm cit`).
# Installs the Debian peers where missing, then runs unit, integration (SQLite and MariaDB) and
# end-to-end suites in one mocha run. With CI=true the MySQL suite must have run and passed
# tests, or this fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/setup/system-deps.sh
[ -d node_modules ] || npm ci

export PUPPETEER_SKIP_DOWNLOAD=1
marker="$(mktemp)"
export OCTET_TEST_MYSQL_MARKER="$marker"
trap 'rm -f "$marker"' EXIT

npx tsc --noEmit -p tsconfig.json
if [ $# -eq 0 ]; then
  set -- 'test/unit/**/*.spec.ts' 'test/integration/**/*.spec.ts' 'test/e2e/**/*.spec.ts'
  full_run=1
fi
npx mocha --reporter test/support/reporter.cjs "$@"

if [ "${CI:-}" = "true" ] && [ "${full_run:-0}" = 1 ]; then
  passed=$(wc -c < "$marker" | tr -d ' ')
  if [ "$passed" -eq 0 ]; then
    echo "error: CI=true but no MySQL/MariaDB test passed: the MySQL suite did not run" >&2
    exit 1
  fi
  echo "MySQL suite: $passed tests passed on MariaDB"
fi
