;; The first module owns the data: it exports a memory holding a greeting
;; and two functions that work on that memory.
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "Hello from linking1!")

  ;; Length of the greeting stored at address 0.
  (func (export "greeting_len") (result i32)
    (i32.const 20))

  ;; Sum of the `len` bytes starting at `ptr`.
  (func (export "sum_bytes") (param $ptr i32) (param $len i32) (result i32)
    (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $sum
          (i32.add (local.get $sum) (i32.load8_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (local.get $sum)))
