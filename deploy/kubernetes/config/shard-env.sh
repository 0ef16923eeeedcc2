#!/bin/sh
# Entry point of a govpulse shard: export this shard's platform tokens, then exec govpulse.
# The Secret `govpulse-tokens` is mounted at $GOVPULSE_TOKENS_DIR with one key per platform and ordinal:
#   max-0, max-1, ..., vk-0, ..., telegram-0, ...   (each value: one token, or several separated by commas)
# The ordinal is the suffix of the pod's host name (StatefulSet pod govpulse-3 -> 3), the same rule as
# `govpulse run --shard auto`. A platform without a key for this ordinal keeps the configuration's tokens
# (none by default), so an enabled platform without a token stops the shard with a clear error.
set -eu

tokens_dir="${GOVPULSE_TOKENS_DIR:-/etc/govpulse/tokens}"
host="${HOSTNAME:-$(hostname)}"
ordinal="${host##*-}"
case "$ordinal" in
  ''|*[!0-9]*) echo "shard-env: host name '$host' does not end in -<ordinal>" >&2; exit 2 ;;
esac

if [ -f "$tokens_dir/max-$ordinal" ]; then
  GOVPULSE_PLATFORMS__MAX__TOKENS="$(cat "$tokens_dir/max-$ordinal")"
  export GOVPULSE_PLATFORMS__MAX__TOKENS
fi
if [ -f "$tokens_dir/vk-$ordinal" ]; then
  GOVPULSE_PLATFORMS__VK__TOKENS="$(cat "$tokens_dir/vk-$ordinal")"
  export GOVPULSE_PLATFORMS__VK__TOKENS
fi
if [ -f "$tokens_dir/telegram-$ordinal" ]; then
  GOVPULSE_PLATFORMS__TELEGRAM__TOKENS="$(cat "$tokens_dir/telegram-$ordinal")"
  export GOVPULSE_PLATFORMS__TELEGRAM__TOKENS
fi

exec "${GOVPULSE_BIN:-govpulse}" "$@"
