;; A linear memory of 1 page (64 KiB) that may grow to 2 pages, exported
;; as `memory`, with a few helpers the host calls to look at it from the
;; wasm side. The data segment puts the bytes 1, 2, 3, 4 at address 0x100.
(module
  (memory (export "memory") 1 2)

  ;; Current size, in pages.
  (func (export "size") (result i32)
    (memory.size))

  ;; Read one byte at `addr` (traps if `addr` is out of bounds).
  (func (export "load") (param $addr i32) (result i32)
    (i32.load8_u (local.get $addr)))

  ;; Write one byte at `addr` (traps if `addr` is out of bounds).
  (func (export "store") (param $addr i32) (param $value i32)
    (i32.store8 (local.get $addr) (local.get $value)))

  (data (i32.const 0x100) "\01\02\03\04"))
