;; A call that never ends on its own: `wisp serve` tests end it by the route's timeout or by
;; quitting.
(module
  (func (export "spin") (loop (br 0))))
