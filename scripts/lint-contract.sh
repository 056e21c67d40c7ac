#!/usr/bin/env bash
# Lints openapi.yaml with Redocly CLI (recommended rules, api/redocly.yaml) and Spectral
# (spectral:oas, api/.spectral.yaml), failing on any error or warning. The linters come from npm
# at the versions scripts/contract-lint/package-lock.json pins, installed with `npm ci` into
# .data/contract-lint (git ignores .data/), again only when the lock file changes.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v npm >/dev/null 2>&1 || { echo "lint-contract: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }

tools=.data/contract-lint
if ! cmp -s scripts/contract-lint/package-lock.json "$tools/package-lock.json" || [ ! -d "$tools/node_modules" ]; then
	echo "lint-contract: installing the pinned linters into $tools" >&2
	rm -rf "$tools"
	mkdir -p "$tools"
	cp scripts/contract-lint/package.json scripts/contract-lint/package-lock.json "$tools/"
	# --ignore-scripts: the linters need no install scripts (one would only send usage data).
	(cd "$tools" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
bin="$tools/node_modules/.bin"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

status=0
echo "== redocly $("$bin/redocly" --version)" >&2
# --max-problems: list every problem rather than the first 100.
"$bin/redocly" lint --config api/redocly.yaml --max-problems 10000 --format stylish openapi.yaml || status=1
# Redocly exits 0 on warnings; they fail the lint too.
if "$bin/redocly" lint --config api/redocly.yaml --format summary openapi.yaml 2>&1 | grep -q '^warning '; then
	echo "lint-contract: redocly reports warnings" >&2
	status=1
fi
echo "== spectral $("$bin/spectral" --version)" >&2
"$bin/spectral" lint --ruleset api/.spectral.yaml --fail-severity warn --display-only-failures openapi.yaml || status=1
exit "$status"
