# Shared by scripts/serve and scripts/test: find Python, make .venv, fetch htmx.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# GROUNDSWELL_VENV: use an existing virtual environment as it is (e.g. one shared by several
# git worktrees); nothing is installed into it. This checkout's src/ always comes first.
VENV="${GROUNDSWELL_VENV:-$ROOT/.venv}"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
HTMX_VERSION="2.0.4"
# The integrity the npm registry publishes for htmx.org@2.0.4 (`npm view htmx.org@2.0.4 dist.integrity`).
HTMX_INTEGRITY="sha512-HLxMCdfXDOJirs3vBZl/ZLoY+c7PfM4Ahr2Ad4YXh6d22T5ltbTXFFkpx9Tgb2vvmWFMbIc3LqN2ToNkZJvyYQ=="
HTMX_TARGET="$ROOT/src/groundswell/static/vendor/htmx.min.js"
# axe-core (MPL-2.0) for the browser tests' accessibility checks; never served by the app.
AXE_VERSION="4.10.3"
# `npm view axe-core@4.10.3 dist.integrity`
AXE_INTEGRITY="sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="
AXE_TARGET="$ROOT/tests/e2e/vendor/axe.min.js"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[1;33m!!! %s\033[0m\n' "$*" >&2; }

find_python() {
  local candidate
  for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Groundswell needs Python 3.11 or newer; none was found (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

# ensure_venv [extra]: create .venv and (re)install the project when pyproject.toml changed.
ensure_venv() {
  local extra="${1:-}" spec="." stamp python
  if [ -n "${GROUNDSWELL_VENV:-}" ]; then
    [ -x "$VENV/bin/python" ] && return 0
    echo "GROUNDSWELL_VENV=$VENV has no bin/python." >&2
    return 1
  fi
  [ -n "$extra" ] && spec=".[$extra]"
  if [ ! -x "$VENV/bin/python" ]; then
    python="$(find_python)"
    say "Creating $VENV with $python"
    "$python" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
  fi
  stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-${extra:-base}"
  if [ ! -f "$stamp" ]; then
    say "Installing Groundswell ${extra:+with $extra extras }into .venv"
    (cd "$ROOT" && "$VENV/bin/python" -m pip install --quiet --editable "$spec")
    touch "$stamp"
  fi
}

# ensure_wrk: the benchmarks' load generator, Debian's wrk package (installed when missing).
ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  say "Installing wrk (Debian package) for the benchmarks"
  if ! { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; then
    echo "Could not install wrk: run \`apt-get install -y wrk\` (as root) and try again." >&2
    return 1
  fi
}

# fetch_htmx: htmx comes from the npm registry, checked against its published integrity,
# and is never committed. Pages work without it (plain links and forms).
fetch_htmx() {
  [ -f "$HTMX_TARGET" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    warn "npm not found: serving without htmx (pages still work as plain HTML)."
    return 0
  fi
  local work actual
  work="$(mktemp -d)"
  say "Fetching htmx.org@$HTMX_VERSION from the npm registry"
  if ! (cd "$work" && npm pack "htmx.org@$HTMX_VERSION" --silent >/dev/null 2>&1); then
    warn "Could not fetch htmx; serving without it."
    rm -rf "$work"
    return 0
  fi
  actual="sha512-$(openssl dgst -sha512 -binary "$work"/htmx.org-"$HTMX_VERSION".tgz | base64 -w0)"
  if [ "$actual" != "$HTMX_INTEGRITY" ]; then
    rm -rf "$work"
    echo "htmx.org@$HTMX_VERSION does not match its published integrity hash; refusing to use it." >&2
    return 1
  fi
  tar -xzf "$work"/htmx.org-"$HTMX_VERSION".tgz -C "$work" package/dist/htmx.min.js
  mkdir -p "$(dirname "$HTMX_TARGET")"
  cp "$work/package/dist/htmx.min.js" "$HTMX_TARGET"
  rm -rf "$work"
}

# fetch_axe: axe-core for tests/e2e, from the npm registry, checked against its published
# integrity; kept in a git-ignored folder. Without it the accessibility checks cannot run
# (they skip loudly, or fail under CI=true).
fetch_axe() {
  [ -f "$AXE_TARGET" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    warn "npm not found: axe-core not fetched; browser accessibility checks cannot run."
    return 0
  fi
  local work actual
  work="$(mktemp -d)"
  say "Fetching axe-core@$AXE_VERSION from the npm registry"
  if ! (cd "$work" && npm pack "axe-core@$AXE_VERSION" --silent >/dev/null 2>&1); then
    warn "Could not fetch axe-core; browser accessibility checks cannot run."
    rm -rf "$work"
    return 0
  fi
  actual="sha512-$(openssl dgst -sha512 -binary "$work"/axe-core-"$AXE_VERSION".tgz | base64 -w0)"
  if [ "$actual" != "$AXE_INTEGRITY" ]; then
    rm -rf "$work"
    echo "axe-core@$AXE_VERSION does not match its published integrity hash; refusing to use it." >&2
    return 1
  fi
  tar -xzf "$work"/axe-core-"$AXE_VERSION".tgz -C "$work" package/axe.min.js
  mkdir -p "$(dirname "$AXE_TARGET")"
  cp "$work/package/axe.min.js" "$AXE_TARGET"
  rm -rf "$work"
}
