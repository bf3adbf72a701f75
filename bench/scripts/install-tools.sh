#!/usr/bin/env bash
# Installs the load tools the benchmark suite uses, from Debian's packages,
# when they are missing: wrk (HTTP) and redis-benchmark (redis-tools).
# cmd/benchrun skips the loads of a tool that is not installed.
set -euo pipefail

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "install-tools: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"; } >/dev/null; then
	echo "install-tools: could not install ${missing[*]}; benchrun skips what needs them" >&2
fi
