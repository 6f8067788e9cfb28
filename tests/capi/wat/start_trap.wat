;; C API test module: a start function that traps, so instantiation fails.
(module
  (func $boom (unreachable))
  (start $boom)
)
