;; A module that exports an exception tag: wasm.h has no extern kind for it.
(module (tag (export "e") (param i32)))
