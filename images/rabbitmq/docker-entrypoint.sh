#!/bin/bash
# Writes the default user from RABBITMQ_DEFAULT_USER/PASS/VHOST into conf.d (as the official image
# used to), then runs the server in the foreground as the rabbitmq user.
set -euo pipefail
if [ "$1" = rabbitmq-server ]; then
  if [ "$(id -u)" = 0 ]; then
    chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$BASH_SOURCE" "$@"
  fi
  conf=/etc/rabbitmq/conf.d/20-default-user.conf
  if [ -n "${RABBITMQ_DEFAULT_USER:-}${RABBITMQ_DEFAULT_PASS:-}${RABBITMQ_DEFAULT_VHOST:-}" ] && [ -w /etc/rabbitmq/conf.d ]; then
    {
      [ -n "${RABBITMQ_DEFAULT_USER:-}" ] && echo "default_user = $RABBITMQ_DEFAULT_USER"
      [ -n "${RABBITMQ_DEFAULT_PASS:-}" ] && echo "default_pass = $RABBITMQ_DEFAULT_PASS"
      [ -n "${RABBITMQ_DEFAULT_VHOST:-}" ] && echo "default_vhost = $RABBITMQ_DEFAULT_VHOST"
      true
    } >"$conf"
    chmod 0600 "$conf"
  fi
  umask 0077
  if [ ! -s "$HOME/.erlang.cookie" ]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$HOME/.erlang.cookie"
    chmod 0400 "$HOME/.erlang.cookie"
  fi
fi
exec "$@"
