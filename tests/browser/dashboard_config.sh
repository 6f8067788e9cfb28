# Sourced by tests/browser/charts.sh and bench/browser_charts_memory.sh:
# write_dashboard_config OUT EXAMPLES_DIR writes the `wisp serve` configuration both use: three
# routes (per_thread, shared, contexts) whose charts make eight on the dashboard.
write_dashboard_config() {
  cat >"$1" <<TOML
[engine]
tier = "0"

[[route]]
path = "/factorial"
module = "$2/factorial.wasm"
export = "factorial"
strategy = "per_thread"

[[route]]
path = "/counter"
module = "$2/counter.wasm"
export = "increment"
strategy = "shared"

[[route]]
path = "/kv/update"
module = "$2/kv.wasm"
export = "update_value"
strategy = "contexts"
[route.contexts]
region_bytes = 4096
max_contexts = 8
TOML
}
