;; trap.wat: traps with `unreachable` in its start function.
(module
  (memory (export "memory") 1)
  (func (export "_start") unreachable))
