#!/usr/bin/env bash
# Installs what the test suite needs beyond Java: the real servers the integration tests start.
# Safe to run again; installs only what is missing. Needs root (or sudo) for Debian packages;
# without those rights it says exactly what to install and stops.
set -euo pipefail

missing=()
have_postgres_server() { compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; }

have_postgres_server || missing+=(postgresql)
# PostgreSQL refuses to run as root; the tests then run it as the 'postgres' user the package creates.
if [ "$(id -u)" = 0 ] && ! id postgres > /dev/null 2>&1; then missing+=(postgresql); fi

# Sink tests (issue 3): a real ClickHouse (Debian ships 18.16). Elasticsearch comes from Maven Central
# (the build unpacks it into target/elasticsearch); under root the tests run it as 'nobody'.
have_clickhouse_server() { command -v clickhouse-server > /dev/null || [ -x /usr/sbin/clickhouse-server ] || [ -x /usr/bin/clickhouse ]; }
have_clickhouse_server || missing+=(clickhouse-server)

# Aggregation tests (issue 5): a real Redis.
have_redis_server() { command -v redis-server > /dev/null; }
have_redis_server || missing+=(redis-server)

# Gateway tests (issue 4): headless Chromium for the live page, Debian's Python with the
# websockets library and Node.js for the documented client snippets run as real processes.
have_chromium() { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }
have_chromium || missing+=(chromium chromium-driver)
have_python_websockets() { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import websockets' 2> /dev/null; }
have_python_websockets || missing+=(python3 python3-websockets)
have_node() { command -v node > /dev/null && command -v npm > /dev/null; }
have_node || missing+=(nodejs npm)

# Node packages the client tests use, pinned by each package-lock.json under src/test/clients.
install_node_packages() {
  local dir
  for dir in "$(dirname "$0")"/../src/test/clients/*/; do
    [ -f "$dir/package-lock.json" ] || continue
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
      echo "Installing Node packages in ${dir}"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
    fi
  done
}

if [ ${#missing[@]} -eq 0 ]; then
  install_node_packages
  echo "Test prerequisites present: PostgreSQL server binaries ($(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')), clickhouse-server, redis-server, chromium, python3-websockets, node"
  exit 0
fi

packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
  SUDO="sudo"
else
  echo "Missing test prerequisites: Debian packages ${packages}" >&2
  echo "Install them with: sudo apt-get install -y ${packages}" >&2
  echo "(or point CDC_HUB_TEST_PG_BIN at a PostgreSQL 12+ bin folder with initdb and pg_ctl," >&2
  echo " and CDC_HUB_TEST_CLICKHOUSE at a clickhouse-server binary)" >&2
  exit 1
fi

if ! command -v apt-get > /dev/null; then
  echo "Missing ${packages}, and this is not a Debian/Ubuntu system: install them with your package manager" >&2
  exit 1
fi
echo "Installing test prerequisites: ${packages}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends ${packages}
# The package starts a cluster of its own on 5432; the tests start their own servers, so stop it.
if command -v pg_lsclusters > /dev/null; then
  pg_lsclusters -h 2> /dev/null | while read -r version cluster _; do
    $SUDO pg_ctlcluster "$version" "$cluster" stop 2> /dev/null || true
  done
fi
# The ClickHouse package may start a server of its own on 8123/9000; the tests start their own, so stop it.
if command -v service > /dev/null && [ -x /etc/init.d/clickhouse-server ]; then
  $SUDO service clickhouse-server stop > /dev/null 2>&1 || true
fi
have_postgres_server || { echo "PostgreSQL server binaries still missing after install" >&2; exit 1; }
have_clickhouse_server || { echo "clickhouse-server still missing after install" >&2; exit 1; }
# The Redis package starts a server of its own on 6379; the tests start their own, so stop it.
if command -v service > /dev/null && [ -x /etc/init.d/redis-server ]; then
  $SUDO service redis-server stop > /dev/null 2>&1 || true
fi
have_redis_server || { echo "redis-server still missing after install" >&2; exit 1; }
have_chromium || { echo "chromium/chromedriver still missing after install" >&2; exit 1; }
have_python_websockets || { echo "python3-websockets still missing after install" >&2; exit 1; }
have_node || { echo "node/npm still missing after install" >&2; exit 1; }
install_node_packages
echo "Test prerequisites installed"
