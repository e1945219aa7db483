#!/bin/sh
# The payments API's entrypoint (a container's CMD, a systemd ExecStart): log in with the
# app's AppRole, put its secrets in its environment only, keep them fresh, and restart it
# when one rotates. The deploy pipeline provides the role id and a secret id as files.
set -eu
here=$(dirname "$0")
exec sealkeep run \
  --auth approle \
  --role-id-file "${ROLE_ID_FILE:-/etc/payments-api/role-id}" \
  --secret-id-file "${SECRET_ID_FILE:-/etc/payments-api/secret-id}" \
  --env-file "$here/secrets.yaml" \
  --poll-interval 1m \
  -- python "$here/app.py" "$@"
