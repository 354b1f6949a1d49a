#!/bin/sh
# The image's entrypoint (under tini) and its `bitarr` command (`docker exec bitarr bitarr scan …`):
# one script, so the appliance and every command run by hand write /config as the same owner.
#
# Started as root (the default), it runs Bitarr as PUID:PGID:
#   PUID=0 PGID=0 (default)  root: reads every file, SMART, raw devices — everything the
#                            container was granted.
#   any other ids            /config is chowned to them (only /config, never the mounted data), and
#                            Bitarr runs as that user keeping only DAC_READ_SEARCH (read any file),
#                            SYS_RAWIO (SMART on SATA/SAS) and SYS_ADMIN (SMART on NVMe,
#                            GETFSMAP) — each only if the container has it.
# Started as another user (`docker run --user`), it changes nothing and runs Bitarr as that user.
# Why root is the default: docker/README.md.
set -eu

CLI=/app/dist/src/cli.js
CONFIG_DIR=${BITARR_CONFIG_DIR:-/config}

[ "$(id -u)" = 0 ] || exec node "$CLI" "$@"

is_id() { case "$1" in '' | *[!0-9]*) return 1 ;; *) [ "${#1}" -le 10 ] ;; esac; }
PUID=${PUID:-0}
PGID=${PGID:-$PUID}
is_id "$PUID" || { echo "bitarr: PUID must be a numeric user id, not \"$PUID\"" >&2; exit 2; }
is_id "$PGID" || { echo "bitarr: PGID must be a numeric group id, not \"$PGID\"" >&2; exit 2; }

[ "$PUID" = 0 ] && [ "$PGID" = 0 ] && exec node "$CLI" "$@"

mkdir -p "$CONFIG_DIR"
# Only what is not already theirs: cheap on every start and every `docker exec … bitarr`, and it
# repairs files an earlier root run left behind.
find "$CONFIG_DIR" -xdev \( ! -user "$PUID" -o ! -group "$PGID" \) -exec chown -h "$PUID:$PGID" {} +

# Capabilities an unprivileged Bitarr still needs, kept as ambient capabilities so they survive
# the change of user and reach smartctl, xfs_io and btrfs too. Bit numbers from linux/capability.h.
caps=
if [ "$PUID" != 0 ]; then
  bounding=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
  for cap in dac_read_search:2 sys_rawio:17 sys_admin:21; do
    if [ $(((0x$bounding >> ${cap#*:}) & 1)) = 1 ]; then caps="$caps${caps:+,}+${cap%:*}"; fi
  done
fi
if [ -n "$caps" ]; then
  exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups --inh-caps="$caps" --ambient-caps="$caps" node "$CLI" "$@"
fi
exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups node "$CLI" "$@"
