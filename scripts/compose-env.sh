#!/usr/bin/env bash
# Writes the secrets docker-compose.yml needs into .env (next to docker-compose.yml, never committed),
# generated here once: the admin token (CDC_ADMIN_TOKEN) and the gateway's HS256 JWT secret (GATEWAY_JWT_SECRET).
# An existing .env is kept as it is. Usage: scripts/compose-env.sh [path of the .env file]
set -euo pipefail
env_file="${1:-$(cd "$(dirname "$0")/.." && pwd)/.env}"
touch "$env_file"
chmod 600 "$env_file"
random() { head -c "$1" /dev/urandom | base64 | tr -d '\n/+=' ; }
for name in CDC_ADMIN_TOKEN GATEWAY_JWT_SECRET; do
  if ! grep -q "^${name}=" "$env_file"; then
    printf '%s=%s\n' "$name" "$(random 36)" >> "$env_file"
    echo "generated $name in $env_file"
  fi
done
