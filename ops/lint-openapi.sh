#!/usr/bin/env bash
# Lints the published contract with @redocly/cli (pinned in ops/openapi-lint/package.json) and its
# recommended rules. Any error or warning fails.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=ops/openapi-lint
if [ ! -x "$tools/node_modules/.bin/redocly" ]; then
  command -v npm >/dev/null || { echo "npm is needed to lint the OpenAPI contract (apt-get install npm)" >&2; exit 1; }
  npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error >/dev/null
fi

REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$tools/node_modules/.bin/redocly" lint contracts/openapi.json --config "$tools/redocly.yaml" --max-problems 50 --format=summary 2>&1 | tee /tmp/eah-openapi-lint.log
grep -q "Your API description is valid" /tmp/eah-openapi-lint.log && ! grep -qE "^warning " /tmp/eah-openapi-lint.log
