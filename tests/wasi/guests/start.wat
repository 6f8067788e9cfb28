;; A start function that calls WASI: it writes "started\n" to stdout, fills 16 bytes with
;; random_get and counts its runs; with two or more guest arguments it calls proc_exit(argc)
;; instead. `_start` writes "main\n". (Start functions cannot be written in C.)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "started\n")
  (data (i32.const 32) "main\n")
  (global $starts (mut i32) (i32.const 0))

  ;; Writes `len` bytes at `ptr` to stdout (iovec at 0, count at 8); traps on an error.
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
      (then unreachable)))

  (func $start
    (if (call $args_sizes_get (i32.const 48) (i32.const 52)) (then unreachable))
    (if (i32.ge_u (i32.load (i32.const 48)) (i32.const 3))
      (then (call $proc_exit (i32.load (i32.const 48)))))
    (call $print (i32.const 16) (i32.const 8))
    (if (call $random_get (i32.const 64) (i32.const 16)) (then unreachable))
    (global.set $starts (i32.add (global.get $starts) (i32.const 1))))
  (start $start)

  (func (export "_start") (call $print (i32.const 32) (i32.const 5)))
  (func (export "starts") (result i32) (global.get $starts))
  ;; The first 8 random bytes the start function wrote.
  (func (export "random") (result i64) (i64.load (i32.const 64))))
