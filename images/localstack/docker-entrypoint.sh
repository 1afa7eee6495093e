#!/bin/sh
# Like LocalStack's entrypoint for what Berth uses: with no arguments, serve the AWS APIs on 4566.
set -e
if [ "$#" -eq 0 ]; then
  exec /opt/moto/bin/moto_server -H 0.0.0.0 -p "${GATEWAY_PORT:-4566}"
fi
exec "$@"
