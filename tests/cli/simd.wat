;; A SIMD guest for the CLI tests: v128 arguments and results in the spec's lane syntax.
(module
  (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  (func (export "scale") (param v128 f32) (result v128)
    (f32x4.mul (local.get 0) (f32x4.splat (local.get 1))))
  (func (export "sum_bytes") (param v128) (result i32)
    (local $w v128)
    (local.set $w (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get 0))))
    (i32.add (i32.add (i32x4.extract_lane 0 (local.get $w)) (i32x4.extract_lane 1 (local.get $w)))
             (i32.add (i32x4.extract_lane 2 (local.get $w)) (i32x4.extract_lane 3 (local.get $w))))))
