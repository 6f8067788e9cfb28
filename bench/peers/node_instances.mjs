// Peer harness: Node (V8) over the bench guests fib.wasm and state.wasm. Prints one JSON object
// per line (same fields as bench/peers/stock_wasm2c). Usage:
//   node --expose-gc bench/peers/node_instances.mjs GUESTS_DIR
// Env: PEERS_LIVE_INSTANCES (10000), PEERS_RSS_CAP_MIB (8192: stop adding live instances there).
// V8 has no reset: "reinstantiate_after_touch" drops the instance (the GC frees it later) and
// makes a new one from the same precompiled WebAssembly.Module.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const RUNTIME = `node-${process.versions.node}-v8-${process.versions.v8}`;
const guestsDir = process.argv[2];
if (!guestsDir) {
  console.error('usage: node --expose-gc node_instances.mjs GUESTS_DIR');
  process.exit(2);
}
const liveTarget = Number(process.env.PEERS_LIVE_INSTANCES || 10000);
const capMiB = Number(process.env.PEERS_RSS_CAP_MIB || 8192);
const STATE_PAGE_WORDS = 16384;

const gc = globalThis.gc ?? (() => {});
let sink = 0;  // results are summed here and printed, so V8 cannot drop the calls

// Stub imports for whatever the module declares (the bench guests import nothing today; WASI
// functions would return 0 = success, other imports get zero-valued defaults).
function placeholderImports(module) {
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const ns = (imports[imp.module] ??= {});
    if (imp.kind === 'function') ns[imp.name] = () => 0;
    else if (imp.kind === 'memory') ns[imp.name] = new WebAssembly.Memory({ initial: 1 });
    else if (imp.kind === 'table') ns[imp.name] = new WebAssembly.Table({ initial: 0, element: 'anyfunc' });
    else if (imp.kind === 'global') ns[imp.name] = new WebAssembly.Global({ value: 'i32', mutable: false }, 0);
  }
  return imports;
}

function load(name) {
  const module = new WebAssembly.Module(readFileSync(join(guestsDir, `${name}.wasm`)));
  return { name, module, imports: placeholderImports(module) };
}

// Instantiation includes a reactor's _initialize (its constructors), as in the C harness.
function make(g) {
  const inst = new WebAssembly.Instance(g.module, g.imports);
  inst.exports._initialize?.();
  return inst;
}

const nowUs = () => Number(process.hrtime.bigint()) / 1e3;
const rssKiB = () => process.memoryUsage.rss() / 1024;

function emit(obj) {
  console.log(JSON.stringify({ runtime: RUNTIME, ...obj }));
}

function stats(bench, module, samples, extra = {}) {
  samples.sort((a, b) => a - b);
  emit({
    bench, module, ...extra,
    median_us: +samples[samples.length >> 1].toFixed(3),
    min_us: +samples[0].toFixed(3),
    n: samples.length,
  });
}

const fib = load('fib');
const state = load('state');
const stateWord0 = make(state).exports.state_get(0);

function use(g, inst) {
  if (g === fib) {
    const r = inst.exports.fib(10);
    if (r !== 55) throw new Error('fib(10) != 55');
    return r;
  }
  const r = inst.exports.state_get(0);
  if (r !== stateWord0) throw new Error("state_get(0) differs from a fresh instance's");
  return r;
}

function benchInstantiate(g, n) {
  const v = [];
  for (let i = 0; i < n + 50; ++i) {  // 50 warm-up rounds
    const t0 = nowUs();
    const inst = make(g);
    const t1 = nowUs();
    sink += use(g, inst);
    if (i >= 50) v.push(t1 - t0);
  }
  stats('instantiate', g.name, v, { note: 'new WebAssembly.Instance + _initialize; freed by the GC' });
}

function benchReinstantiate(pages, n) {
  const v = [];
  let inst = make(state);
  for (let i = 0; i < n; ++i) {
    for (let p = 0; p < pages; ++p) {
      const before = inst.exports.state_get(p * STATE_PAGE_WORDS);
      if (inst.exports.state_touch(p) !== ((before + 1) | 0)) throw new Error('state_touch');
    }
    const t0 = nowUs();
    inst = make(state);
    const t1 = nowUs();
    sink += use(state, inst);
    v.push(t1 - t0);
  }
  stats('reinstantiate_after_touch', 'state', v, {
    pages_touched: pages,
    note: 'no reset in V8: a new instance, the old one left to the GC',
  });
}

function benchLive(g) {
  gc();
  const rss0 = rssKiB();
  const t0 = nowUs();
  const live = [];
  let stopped = 'reached target';
  while (live.length < liveTarget) {
    let inst;
    try {
      inst = make(g);
    } catch (e) {
      stopped = `instantiate failed: ${e.message}`;
      break;
    }
    sink += use(g, inst);
    live.push(inst);
    if (live.length % 16 === 0 && rssKiB() - rss0 > capMiB * 1024) {
      stopped = 'RSS cap';
      break;
    }
  }
  const t1 = nowUs();
  gc();
  const rss1 = rssKiB();
  emit({
    bench: 'live_instances', module: g.name, target: liveTarget, live: live.length, stopped,
    rss_cap_mib: capMiB,
    rss_delta_mib: +((rss1 - rss0) / 1024).toFixed(1),
    rss_per_instance_kib: +((rss1 - rss0) / Math.max(live.length, 1)).toFixed(1),
    create_all_ms: +((t1 - t0) / 1e3).toFixed(1),
  });
  live.length = 0;
  gc();
}

benchInstantiate(fib, 5000);
benchInstantiate(state, 300);
benchReinstantiate(1, 300);
benchReinstantiate(64, 200);
benchLive(fib);
benchLive(state);
if (sink === 0) console.error('unexpected: no work was done');
