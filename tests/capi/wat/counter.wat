;; C API test module for wisp.h: a counter in memory, for reset and the strategies.
(module
  (memory (export "memory") 1)
  (func (export "next") (result i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (i32.load (i32.const 0)))
  (func (export "burn") (param i32) (result i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
    (local.get $i))
)
