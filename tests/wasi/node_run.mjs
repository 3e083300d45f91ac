// node_run.mjs: runs a wasm32-wasi command under node's WASI (node:wasi,
// uvwasi), the peer engine of tests/wasi/run.sh. Same options as the
// harness gives `wasmaot run`:
//   node node_run.mjs [--dir HOST::GUEST]... [--env K=V]... -- FILE.wasm ARGS...
// The guest's argv[0] is FILE.wasm; stdio are this process's fds 0-2.
// Exits with the guest's exit code.
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let i = 0;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--') { i++; break; }
  if (a === '--dir') {
    const v = argv[++i];
    const k = v.indexOf('::');
    preopens[k < 0 ? v : v.slice(k + 2)] = k < 0 ? v : v.slice(0, k);
  } else if (a === '--env') {
    const v = argv[++i];
    const k = v.indexOf('=');
    env[v.slice(0, k)] = v.slice(k + 1);
  } else {
    console.error(`node_run: unknown option ${a}`);
    process.exit(2);
  }
}
const file = argv[i];
const wasi = new WASI({
  version: 'preview1',
  args: argv.slice(i),
  env,
  preopens,
  returnOnExit: true,
});
const mod = await WebAssembly.compile(readFileSync(file));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
let code;
try {
  code = wasi.start(inst);
} catch (e) {
  // A trap (unreachable, out of bounds...): like a crashed process.
  console.error(`node_run: ${e}`);
  code = 134;
}
process.exitCode = code;
