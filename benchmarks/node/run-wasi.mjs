// Runs a wasm32-wasi command module under node's V8 through node:wasi, the
// same way `wasmaot run` would: argv[0] is the module name, stdio inherited,
// no preopened directories. Usage: node run-wasi.mjs MODULE.wasm [ARGS...]
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node run-wasi.mjs MODULE.wasm [ARGS...]\n');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [basename(file), ...args],
  env: {},
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
