# bench/synflood/yield_args.sh, sourced by scenario.sh, run and ratio_ab:
# the one check of their --yield-every-us and --yield-us values, with the
# ranges tern's parsers apply (0 to 1000000; 1 to port::kMaxYieldSleep,
# 500, lib/port/loop_limits.h; the sleep shorter than its window).
#
# check_yield_args NAME EVERY SLEEP STATUS: returns when the values are
# good, else prints "NAME: ..." on stderr and exits with STATUS.
check_yield_args() {
  local name=$1 every=$2 sleep_us=$3 status=$4
  [[ "$every" =~ ^[0-9]+$ ]] && [ "$every" -le 1000000 ] ||
    { echo "$name: --yield-every-us takes 0 to 1000000, not '$every'" >&2; exit "$status"; }
  [[ "$sleep_us" =~ ^[0-9]+$ ]] && [ "$sleep_us" -ge 1 ] && [ "$sleep_us" -le 500 ] &&
    { [ "$every" -eq 0 ] || [ "$sleep_us" -lt "$every" ]; } ||
    { echo "$name: --yield-us takes 1 to 500, below --yield-every-us, not '$sleep_us'" >&2; exit "$status"; }
}
