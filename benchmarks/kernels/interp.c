/* interp: a stack-machine bytecode interpreter (switch dispatch, compiled to
 * a jump table / br_table) running a program that sums a Collatz-style
 * recurrence with calls, locals and conditional jumps. size = outer loop
 * count of the interpreted program, in thousands. */
#include "bench.h"

enum {
  OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_SHR,
  OP_XOR, OP_LT, OP_EQZ, OP_JMP, OP_JZ, OP_CALL, OP_RET, OP_DUP,
  OP_DROP, OP_HALT
};

typedef struct {
  uint8_t op;
  int32_t arg;
} insn;

#define MAXCODE 128

static uint32_t emit(insn *code, uint32_t pc, uint8_t op, int32_t arg) {
  code[pc].op = op;
  code[pc].arg = arg;
  return pc + 1;
}

/* Program: for i in [0, n): x = i; steps = 0;
 *   while x != 1: x = odd(x) ? 3x+1 : x>>1 (via a call); steps++
 *   acc ^= steps + i
 * Locals: 0=i 1=n 2=x 3=acc 4=steps. The step function is at label F. */
static uint32_t build(insn *c) {
  uint32_t pc = 0;
  pc = emit(c, pc, OP_PUSH, 0), pc = emit(c, pc, OP_STORE, 0);
  pc = emit(c, pc, OP_PUSH, 0), pc = emit(c, pc, OP_STORE, 3);
  uint32_t outer = pc; /* while i < n */
  pc = emit(c, pc, OP_LOAD, 0), pc = emit(c, pc, OP_LOAD, 1);
  pc = emit(c, pc, OP_LT, 0);
  uint32_t exit_jz = pc;
  pc = emit(c, pc, OP_JZ, 0);
  pc = emit(c, pc, OP_LOAD, 0), pc = emit(c, pc, OP_PUSH, 2);
  pc = emit(c, pc, OP_ADD, 0), pc = emit(c, pc, OP_STORE, 2);
  pc = emit(c, pc, OP_PUSH, 0), pc = emit(c, pc, OP_STORE, 4);
  uint32_t inner = pc; /* while x != 1 */
  pc = emit(c, pc, OP_LOAD, 2), pc = emit(c, pc, OP_PUSH, 1);
  pc = emit(c, pc, OP_SUB, 0), pc = emit(c, pc, OP_EQZ, 0);
  uint32_t inner_done = pc;
  pc = emit(c, pc, OP_JZ, 0); /* patched: jump into the body when x != 1 */
  uint32_t after_inner_jmp = pc;
  pc = emit(c, pc, OP_JMP, 0); /* patched: leave the inner loop */
  c[inner_done].arg = (int32_t)pc;
  pc = emit(c, pc, OP_LOAD, 2);
  uint32_t call = pc;
  pc = emit(c, pc, OP_CALL, 0); /* patched to F */
  pc = emit(c, pc, OP_STORE, 2);
  pc = emit(c, pc, OP_LOAD, 4), pc = emit(c, pc, OP_PUSH, 1);
  pc = emit(c, pc, OP_ADD, 0), pc = emit(c, pc, OP_STORE, 4);
  pc = emit(c, pc, OP_JMP, (int32_t)inner);
  c[after_inner_jmp].arg = (int32_t)pc;
  pc = emit(c, pc, OP_LOAD, 3), pc = emit(c, pc, OP_LOAD, 4);
  pc = emit(c, pc, OP_LOAD, 0), pc = emit(c, pc, OP_ADD, 0);
  pc = emit(c, pc, OP_XOR, 0), pc = emit(c, pc, OP_PUSH, 0x7fffffff);
  pc = emit(c, pc, OP_AND, 0), pc = emit(c, pc, OP_STORE, 3);
  pc = emit(c, pc, OP_LOAD, 0), pc = emit(c, pc, OP_PUSH, 1);
  pc = emit(c, pc, OP_ADD, 0), pc = emit(c, pc, OP_STORE, 0);
  pc = emit(c, pc, OP_JMP, (int32_t)outer);
  c[exit_jz].arg = (int32_t)pc;
  pc = emit(c, pc, OP_LOAD, 3), pc = emit(c, pc, OP_HALT, 0);
  /* F: x on the stack -> next x */
  c[call].arg = (int32_t)pc;
  pc = emit(c, pc, OP_DUP, 0), pc = emit(c, pc, OP_PUSH, 1);
  pc = emit(c, pc, OP_AND, 0);
  uint32_t even_jz = pc;
  pc = emit(c, pc, OP_JZ, 0);
  pc = emit(c, pc, OP_PUSH, 3), pc = emit(c, pc, OP_MUL, 0);
  pc = emit(c, pc, OP_PUSH, 1), pc = emit(c, pc, OP_ADD, 0);
  pc = emit(c, pc, OP_RET, 0);
  c[even_jz].arg = (int32_t)pc;
  pc = emit(c, pc, OP_PUSH, 1), pc = emit(c, pc, OP_SHR, 0);
  pc = emit(c, pc, OP_RET, 0);
  return pc;
}

static int run(const insn *code, int64_t *locals, int64_t *result) {
  int64_t stack[64];
  uint32_t rstack[16];
  uint32_t sp = 0, rsp = 0, pc = 0;
  for (;;) {
    const insn in = code[pc++];
    switch (in.op) {
    case OP_PUSH:
      stack[sp++] = in.arg;
      break;
    case OP_LOAD:
      stack[sp++] = locals[in.arg];
      break;
    case OP_STORE:
      locals[in.arg] = stack[--sp];
      break;
    case OP_ADD:
      sp--, stack[sp - 1] += stack[sp];
      break;
    case OP_SUB:
      sp--, stack[sp - 1] -= stack[sp];
      break;
    case OP_MUL:
      sp--, stack[sp - 1] *= stack[sp];
      break;
    case OP_AND:
      sp--, stack[sp - 1] &= stack[sp];
      break;
    case OP_SHR:
      sp--, stack[sp - 1] >>= stack[sp];
      break;
    case OP_XOR:
      sp--, stack[sp - 1] ^= stack[sp];
      break;
    case OP_LT:
      sp--, stack[sp - 1] = stack[sp - 1] < stack[sp];
      break;
    case OP_EQZ:
      stack[sp - 1] = stack[sp - 1] == 0;
      break;
    case OP_JMP:
      pc = (uint32_t)in.arg;
      break;
    case OP_JZ:
      if (stack[--sp] == 0)
        pc = (uint32_t)in.arg;
      break;
    case OP_CALL:
      if (rsp == 16)
        return -1;
      rstack[rsp++] = pc;
      pc = (uint32_t)in.arg;
      break;
    case OP_RET:
      pc = rstack[--rsp];
      break;
    case OP_DUP:
      stack[sp] = stack[sp - 1];
      sp++;
      break;
    case OP_DROP:
      sp--;
      break;
    case OP_HALT:
      *result = stack[sp - 1];
      return 0;
    default:
      return -1;
    }
    if (sp >= 60)
      return -1;
  }
}

int main(int argc, char **argv) {
  uint32_t k = bench_size(argc, argv, 300, 4);
  insn code[MAXCODE];
  uint32_t len = build(code);
  if (len > MAXCODE)
    return 1;
  int64_t locals[8] = {0};
  locals[1] = (int64_t)k * 1000;
  int64_t result = 0;
  if (run(code, locals, &result) != 0) {
    bench_error("interp:", " bad program", UINT64_MAX);
    return 1;
  }
  return bench_result("interp", k, bench_mix((uint64_t)result, len));
}
