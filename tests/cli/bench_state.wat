;; Guest for `wisp bench`'s state probe and failure count: state in memory, state in a global
;; the probe cannot read (seen through the results), a global outside a context's region, and
;; calls that fail.
(module
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  ;; Adds its argument to the i32 at address 16: a write to memory, no results.
  (func (export "store") (param i32)
    (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (local.get 0))))
  ;; Counts in a non-exported global and returns the count.
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  ;; The same with a context pointer first: the count lives outside every context's region.
  (func (export "bump_ctx") (param $ctx i32) (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  ;; Traps when its argument is not 0.
  (func (export "fail") (param i32) (result i32)
    (if (local.get 0) (then unreachable))
    (i32.const 1))
  ;; Counts like bump and traps on every even count: an instance that keeps its state fails
  ;; every second call (and is replaced); one that starts clean never fails.
  (func (export "flaky") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (if (i32.eqz (i32.and (global.get $n) (i32.const 1))) (then unreachable))
    (global.get $n)))
