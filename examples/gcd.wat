;; Euclid's algorithm on unsigned 32-bit integers:
;; `kiln run examples/gcd.wat --invoke gcd 1071 462` prints 21.
(module
  (func (export "gcd") (param $a i32) (param $b i32) (result i32)
    (local $t i32)
    (block $done
      (loop $step
        (br_if $done (i32.eqz (local.get $b)))
        (local.set $t (i32.rem_u (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (br $step)))
    (local.get $a)))
