// Peer harness: Node (V8) runs a WASI preview-1 module the way `wisp run` does, from the bytes:
// WebAssembly.compile + instantiate + run (a command's _start, or a reactor's _initialize and
// then one export). Imports outside wasi_snapshot_preview1 are stubs that throw when called (as
// `wisp run --trap-unknown-imports`). Used by bench/front_startup.sh for time to first output.
// Usage:
//   node node_wasi_run.mjs [--timings] [--invoke EXPORT] [--dir HOST::GUEST]... MODULE [ARGS...]
// --timings prints compile / instantiate / run milliseconds to stderr.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { WASI } from 'node:wasi';

let invoke = null;
let timings = false;
const preopens = {};
const argv = process.argv.slice(2);
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift();
  if (opt === '--timings') timings = true;
  else if (opt === '--invoke') invoke = argv.shift();
  else if (opt === '--dir') {
    const [host, guest] = argv.shift().split('::');
    preopens[guest ?? host] = host;
  } else {
    console.error(`node_wasi_run: unknown option ${opt}`);
    process.exit(2);
  }
}
const file = argv.shift();
if (!file) {
  console.error('usage: node node_wasi_run.mjs [--timings] [--invoke EXPORT] [--dir HOST::GUEST]... MODULE [ARGS...]');
  process.exit(2);
}

const now = () => performance.now();
const bytes = readFileSync(file);
const t0 = now();
const module = await WebAssembly.compile(bytes);
const t1 = now();

const wasi = new WASI({
  version: 'preview1',
  args: [basename(file), ...argv],
  env: {},
  preopens,
  returnOnExit: true,
});
const imports = { wasi_snapshot_preview1: wasi.wasiImport };
for (const imp of WebAssembly.Module.imports(module)) {
  if (imp.module === 'wasi_snapshot_preview1') continue;
  const ns = (imports[imp.module] ??= {});
  if (imp.kind === 'function') {
    ns[imp.name] = () => {
      throw new Error(`unknown import called: ${imp.module}.${imp.name}`);
    };
  } else if (imp.kind === 'memory') ns[imp.name] = new WebAssembly.Memory({ initial: 1 });
  else if (imp.kind === 'table') ns[imp.name] = new WebAssembly.Table({ initial: 0, element: 'anyfunc' });
  else if (imp.kind === 'global') ns[imp.name] = new WebAssembly.Global({ value: 'i32', mutable: false }, 0);
}
const instance = await WebAssembly.instantiate(module, imports);
const t2 = now();

let code = 0;
if (invoke !== null) {
  if (instance.exports._initialize) wasi.initialize(instance);
  const fn = instance.exports[invoke];
  if (typeof fn !== 'function') {
    console.error(`node_wasi_run: no exported function ${JSON.stringify(invoke)}`);
    process.exit(2);
  }
  fn();
} else {
  code = wasi.start(instance) ?? 0;
}
const t3 = now();
if (timings) {
  console.error(`node_wasi_run: compile ${(t1 - t0).toFixed(1)} ms, instantiate ` +
                `${(t2 - t1).toFixed(1)} ms, run ${(t3 - t2).toFixed(1)} ms`);
}
process.exitCode = code;
