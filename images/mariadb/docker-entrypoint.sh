#!/bin/bash
# Like the official image: an empty data directory is initialised with the root password, the
# user and the database from the environment (MARIADB_* or MYSQL_*), then mariadbd runs as mysql.
set -euo pipefail
if [ "${1:-}" != mariadbd ] && [ "${1:-}" != mysqld ]; then exec "$@"; fi
root_pw=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
user=${MARIADB_USER:-${MYSQL_USER:-}}
pw=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}
db=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
if [ "$(id -u)" = 0 ]; then
  chown -R mysql:mysql /var/lib/mysql /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi
if [ ! -d /var/lib/mysql/mysql ]; then
  [ -n "$root_pw" ] || { echo "MYSQL_ROOT_PASSWORD or MARIADB_ROOT_PASSWORD is required" >&2; exit 1; }
  mariadb-install-db --datadir=/var/lib/mysql --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null
  mariadbd --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 60); do mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1 && break; sleep 1; done
  esc() { printf '%s' "$1" | sed "s/'/''/g"; }
  {
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(esc "$root_pw")';"
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$(esc "$root_pw")';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    [ -n "$db" ] && echo "CREATE DATABASE IF NOT EXISTS \`$db\`;"
    if [ -n "$user" ]; then
      echo "CREATE USER IF NOT EXISTS '$(esc "$user")'@'%' IDENTIFIED BY '$(esc "$pw")';"
      [ -n "$db" ] && echo "GRANT ALL ON \`$db\`.* TO '$(esc "$user")'@'%';"
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket=/run/mysqld/init.sock -uroot
  kill "$pid"; wait "$pid" || true
fi
exec "$@" --bind-address=0.0.0.0 --port=3306
