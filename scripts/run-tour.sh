#!/usr/bin/env bash
# Runs the shell blocks of README.md's "A five-minute tour" (up to "Or with Docker") against a
# running p4w, as a reader would paste them, printing each command and its output. API names the server (http://localhost:8080
# by default: make run); run it from the repository's root, where bin/p4wctl and the demo files
# are. Used to keep the tour true, and to run it through a validating proxy (Prism) in front of
# the server: API=http://127.0.0.1:4010 scripts/run-tour.sh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export API=${API:-http://localhost:8080}
tour=$(awk '
	/^## A five-minute tour/ { in_tour = 1; next }
	in_tour && (/^## / || /^Or with Docker/) { exit }
	in_tour && /^```sh$/ { in_block = 1; next }
	in_tour && in_block && /^```$/ { in_block = 0; next }
	in_tour && in_block { print }
' README.md)
if [ -z "$tour" ]; then
	echo "run-tour: no tour found in README.md" >&2
	exit 1
fi
# The p4wctl block keeps its session in a throwaway configuration directory.
XDG_CONFIG_HOME=$(mktemp -d)
export XDG_CONFIG_HOME
trap 'rm -rf "$XDG_CONFIG_HOME"' EXIT
bash -x -c "$tour" 2>&1
