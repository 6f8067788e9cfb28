;; A control step for tests/embedded/call_path_check.cpp: a filter over a ring of 64 samples in
;; memory (reads and writes memory, a global, and a loop), the shape of a sensor-filter module.
(module
  (memory (export "memory") 1)
  (global $at (mut i32) (i32.const 0))
  (func (export "step") (param $x i32) (result i32) (local $i i32) (local $sum i32)
    (i32.store (i32.shl (global.get $at) (i32.const 2)) (local.get $x))
    (global.set $at (i32.and (i32.add (global.get $at) (i32.const 1)) (i32.const 63)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 64)))
        (local.set $sum (i32.add (local.get $sum) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.shr_s (local.get $sum) (i32.const 6))))
