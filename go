#!/usr/bin/env bash
# The README's two commands, on a machine with only Python 3.11+ and git:
#   ./go run    set up, then run the whole pipeline once on the bundled sample
#   ./go test   set up, then run the linters and the full test suite
# Setup installs the pinned uv into .tools/ and the locked environment into .venv/.
set -euo pipefail
cd "$(dirname "$0")"

UV_VERSION=0.13.8
export UV_PYTHON_DOWNLOADS=never   # use this machine's Python; nothing is downloaded at run time
if [ ! -x .tools/bin/uv ]; then
  python3 -m venv .tools
  # PIP_CONFIG_FILE=/dev/null: this one install needs only PyPI, not the machine's pip setup.
  PIP_CONFIG_FILE=/dev/null .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi
UV=.tools/bin/uv
# Precompiled bytecode: imports stay fast where PYTHONDONTWRITEBYTECODE is set.
"$UV" sync --frozen --quiet --compile-bytecode

# The report and UI tests render pages in Debian's chromium (nothing downloads a browser).
ensure_chromium() {
  command -v chromium >/dev/null && return
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing Debian's chromium for the browser tests" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

command="${1:-}"
shift || true
case "$command" in
  run)
    exec "$UV" run --frozen spoor run "$@"
    ;;
  test)
    ensure_chromium
    "$UV" run --frozen ruff check .
    "$UV" run --frozen ruff format --check .
    "$UV" run --frozen python -m scripts.lint_sql
    exec "$UV" run --frozen pytest -n 2 --dist loadfile --durations=15 "$@"
    ;;
  *)
    echo "usage: ./go run [spoor run options] | ./go test [pytest options]" >&2
    exit 2
    ;;
esac
