;; C API test module: externrefs through a global, a table and a host function.
(module
  (import "host" "echo" (func $echo (param externref) (result externref)))
  (global $held (export "held") (mut externref) (ref.null extern))
  (table $slots (export "slots") 4 externref)
  (func (export "hold") (param externref) (global.set $held (local.get 0)))
  (func (export "held_ref") (result externref) (global.get $held))
  (func (export "put") (param i32 externref) (table.set $slots (local.get 0) (local.get 1)))
  (func (export "get") (param i32) (result externref) (table.get $slots (local.get 0)))
  (func (export "echo") (param externref) (result externref) (call $echo (local.get 0)))
  (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0)))
)
