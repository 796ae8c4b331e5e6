#!/bin/sh
# As the real image's: arguments that are options (or a .conf file) go to redis-server; a bare
# `redis-server` listens on every interface without protected mode.
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then
  shift
  case "$1" in *.conf) exec redis-server "$@" ;; esac
  exec redis-server --bind '* -::*' --protected-mode no "$@"
fi
exec "$@"
