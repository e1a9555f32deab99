#!/usr/bin/env bash
# The system packages Charla's tests use, installed with apt only when missing:
#   postgresql       the storage tests run a second time on a private PostgreSQL cluster
#   chromium         the end-to-end tests drive the app in headless Chromium (with fonts-liberation,
#                    so pages render text without the recommended packages)
#   sqlite3          the command-line client, to look into data/charla.db
#   haproxy          the proxy in front of several app processes (`make team`, the team e2e tests)
#   nginx-light      the header-setting proxy of the CHARLA_AUTH=proxy e2e test (deploy/nginx.conf)
# Without root (or without apt) nothing is installed: a warning says what is missing and the tests that
# need it are skipped with a reason, except under CI=true, where they fail instead.
set -euo pipefail

packages=(postgresql chromium fonts-liberation sqlite3 haproxy nginx-light)

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: no apt on this machine; install ${packages[*]} yourself." >&2
    echo "system-deps: until then the PostgreSQL and browser tests are skipped (they fail under CI=true)." >&2
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    installed "$package" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: WARNING: missing ${missing[*]} and not root, so not installing them." >&2
    echo "system-deps: run 'sudo apt-get install ${missing[*]}' (or 'sudo make system-deps');" >&2
    echo "system-deps: until then the tests that need them are skipped (they fail under CI=true)." >&2
    exit 0
fi

echo "system-deps: installing ${missing[*]} with apt…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
