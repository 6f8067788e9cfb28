;; Counts down with return_call: a million tail calls run in constant stack (tail-call proposal).
(module
  (func $count (export "count") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 0))
      (else (return_call $count (i64.sub (local.get 0) (i64.const 1)))))))
