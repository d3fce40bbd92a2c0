;; The second module has no memory of its own: it imports linking1's memory
;; and functions. `run` upper-cases the greeting in the shared memory
;; (ASCII letters 'a'..'z' only) and returns the byte sum of the result.
(module
  (import "linking1" "memory" (memory 1))
  (import "linking1" "greeting_len" (func $greeting_len (result i32)))
  (import "linking1" "sum_bytes" (func $sum_bytes (param i32 i32) (result i32)))

  (func (export "run") (result i32)
    (local $i i32)
    (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (call $greeting_len)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 0x61))
                     (i32.le_u (local.get $c) (i32.const 0x7a)))
          (then
            (i32.store8 (local.get $i)
              (i32.sub (local.get $c) (i32.const 0x20)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $sum_bytes (i32.const 0) (call $greeting_len))))
