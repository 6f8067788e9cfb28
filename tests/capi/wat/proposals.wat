;; Newer proposals seen through wasm.h: a v128 function and global (kind WISP_V128), beside an
;; ordinary function.
(module
  (global (export "vg") (mut v128) (v128.const i32x4 7 0 0 0))
  (func (export "vadd") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  (func (export "plain") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
