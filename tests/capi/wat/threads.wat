;; The threads strategy from C: a module that imports a shared memory (which wisp_strategy_new
;; makes) and counts in it atomically, so that every instance sees one counter.
(module
  (import "env" "memory" (memory 1 1 shared))
  (func (export "count") (result i32)
    (i32.add (i32.atomic.rmw.add (i32.const 0) (i32.const 1)) (i32.const 1))))
