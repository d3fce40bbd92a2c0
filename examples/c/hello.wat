;; The module imports one function from the host, `host.hello`, and
;; exports `run`, which calls it once.
(module
  (import "host" "hello" (func $hello))
  (func (export "run")
    (call $hello)))
