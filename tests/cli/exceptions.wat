;; An exception-handling guest for the CLI tests: a caught exception and an uncaught one.
(module
  (tag $oops (param i32))
  (func $fail (param i32) (throw $oops (local.get 0)))
  (func (export "safe_div") (param i32 i32) (result i32)
    (try (result i32)
      (do (if (i32.eqz (local.get 1)) (then (call $fail (local.get 0))))
          (i32.div_s (local.get 0) (local.get 1)))
      (catch $oops (drop) (i32.const -1))))
  (func (export "fail") (param i32) (call $fail (local.get 0))))
