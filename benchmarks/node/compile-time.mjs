// Prints how long V8 takes to compile a module synchronously, in ms
// (WebAssembly.Module construction). Run with V8 flags that make compilation
// eager, e.g. `node --no-liftoff --no-wasm-lazy-compilation compile-time.mjs
// big.wasm`, so the whole module is compiled inside the timed call.
import { readFileSync } from 'node:fs';

const bytes = readFileSync(process.argv[2]);
const t0 = process.hrtime.bigint();
new WebAssembly.Module(bytes);
const t1 = process.hrtime.bigint();
console.log(Number(t1 - t0) / 1e6);
