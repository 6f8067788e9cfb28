# Sourced by the bench scripts: serve_port LOG PID waits (up to 5 minutes: a first tier-1 build)
# for the `wisp serve` whose output goes to LOG to print its port, and sets `port`. Exits with
# the log if the server ends first or never says.
serve_port() {
  port=""
  for _ in $(seq 3000); do
    port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$1")
    [[ -n $port ]] && return
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  cat "$1" >&2
  echo "$(basename "$0"): wisp serve did not start" >&2
  exit 1
}
