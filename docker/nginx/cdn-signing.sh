#!/bin/sh
# Run by the nginx image's entrypoint (/docker-entrypoint.d/) before nginx starts: writes the secure_link key
# map from CDN_SIGNING_KEYS (`id:secret,id:secret`; the API signs with the first, nginx accepts every one, so a
# secret rotates without downtime). The file stays in the container; the secrets are never printed.
set -eu
: "${CDN_SIGNING_KEYS:?set CDN_SIGNING_KEYS (make cdn-key prints a fresh one)}"
out=/etc/nginx/cdn-signing.conf
umask 077
{
  echo 'map $arg_kid $cdn_signing_secret {'
  echo '  default "";'
  echo "$CDN_SIGNING_KEYS" | tr ',' '\n' | while IFS= read -r entry; do
    [ -n "$entry" ] || continue
    id=${entry%%:*}
    secret=${entry#*:}
    case "$id$secret" in
      *[!A-Za-z0-9+/=_-]*) echo "CDN_SIGNING_KEYS: ids and secrets are [A-Za-z0-9+/=_-] only" >&2; exit 1 ;;
    esac
    echo "  \"$id\" \"$secret\";"
  done
  echo '}'
} > "$out"
chown root:nginx "$out" 2>/dev/null && chmod 0640 "$out" || true
