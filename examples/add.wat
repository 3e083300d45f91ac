;; add.wat: the demo's second example (scripts/demo.sh), a module with no
;; imports whose exports `wasmaot run --invoke` calls directly.
(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)
  ;; Recursion and i64 results, so --invoke shows more than one type.
  (func $fac (export "fac") (param i64) (result i64)
    local.get 0
    i64.const 2
    i64.lt_u
    if (result i64)
      i64.const 1
    else
      local.get 0
      local.get 0
      i64.const 1
      i64.sub
      call $fac
      i64.mul
    end))
