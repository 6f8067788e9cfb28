;; Guest for the CLI tests: a module with imports (wisp call links none, so it cannot run).
(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "mem" (memory 1))
  (func (export "run") (call $log (i32.const 1))))
