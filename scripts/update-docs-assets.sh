#!/usr/bin/env bash
# update-docs-assets.sh [VERSION]
#
# Refreshes the Swagger UI files that GET /docs serves from the binary. It fetches the npm package
# swagger-ui-dist at VERSION (default: the one internal/apidocs/assets/VERSION records) with
# `npm pack`, which checks the tarball against the registry's integrity hash, and copies only what
# the page loads, plus the licences, into internal/apidocs/assets/. Those files are committed, so
# building p4w needs Go alone; run this script only to move to another version, then commit the
# assets and VERSION together.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v npm >/dev/null 2>&1 || { echo "update-docs-assets: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }

assets=internal/apidocs/assets
version="${1:-$(cat "$assets/VERSION")}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "update-docs-assets: want an exact version such as 5.35.0, got \"$version\"" >&2
	exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "update-docs-assets: fetching swagger-ui-dist@$version" >&2
(cd "$tmp" && npm pack --silent --ignore-scripts "swagger-ui-dist@$version" >/dev/null)
tar -xzf "$tmp/swagger-ui-dist-$version.tgz" -C "$tmp"

# swagger-ui-bundle.js carries React and every plugin; our own page replaces index.html and the
# initializer, and BaseLayout needs no standalone preset (the top bar would only offer to load
# another document).
files=(swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt)
rm -f "$assets"/swagger-ui* "$assets"/LICENSE "$assets"/NOTICE
for f in "${files[@]}"; do
	cp "$tmp/package/$f" "$assets/$f"
done
echo "$version" >"$assets/VERSION"
echo "update-docs-assets: swagger-ui-dist $version copied to $assets (${files[*]})" >&2
