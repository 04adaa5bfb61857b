#!/usr/bin/env bash
# Installs what a fresh machine may lack for running and testing the service.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

have_postgres() {
  for dir in $(echo "$PATH" | tr ':' ' ') /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
      major=$("$dir/postgres" --version | sed -E 's/.*\(PostgreSQL\) ([0-9]+).*/\1/')
      [ "${major:-0}" -ge 15 ] && return 0
    fi
  done
  return 1
}

need=()
have_postgres || need+=(postgresql)
command -v setsid >/dev/null || need+=(util-linux)
# The page tests drive Debian's Chromium (Playwright's own browser download cannot work here).
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing: ${need[*]}. Install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "Installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required: https://dotnet.microsoft.com/download" >&2; exit 1; }
