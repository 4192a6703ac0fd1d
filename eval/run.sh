#!/bin/sh
# Ingests eval/docs into a schema of its own and runs `lanes eval` on it (all three modes).
# Usage: eval/run.sh [SCHEMA] [extra `lanes eval` args]; settings such as LANES_CHUNK_TOKENS
# pass through the environment. The worker it starts is stopped at the end.
set -eu
cd "$(dirname "$0")/.."
schema=${1:-lanes_eval}
[ $# -gt 0 ] && shift
export LANES_PG_SCHEMA="$schema" LANES_PREFIX="$schema" LANES_REBUILD_INDEX_CRON=off LANES_CACHE_WARMING_CRON=off LOG_LEVEL=${LOG_LEVEL:-warn}
node scripts/bootstrap.mjs setup
# Node 24 straight, not through the bootstrap, so $! is the worker itself and the trap stops it.
lanes() { .lanes/tools/node_modules/.bin/node packages/cli/src/main.ts "$@"; }
lanes worker --concurrency 4 >/dev/null 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null || true' EXIT
lanes ingest eval/docs --wait --json >/dev/null
lanes eval eval/questions.jsonl "$@"
