// The dashboard in headless Chromium (tests/browser/charts.sh starts the server): the page makes
// exactly one WebAssembly.Instance for all its charts, every canvas has the charts' pixels, the
// plotted request rates add up to the request counts of /metrics, a screenshot is kept, and one
// instance's Wasm memory is at most (1/N + 10 %) of one instance per chart's (N charts).
// usage: node charts.js --url http://127.0.0.1:PORT --chromium PATH [--screenshot FILE]
//        node charts.js --url ... --chromium PATH --measure RUNS   (the memory comparison only)
'use strict';
const fs = require('fs');
const {Browser} = require('./cdp.js');

const arg = (name, fallback) => {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const base = arg('url');
const chromium = arg('chromium', 'chromium');
const screenshot = arg('screenshot');
const measureRuns = Number(arg('measure', 0));

function check(ok, what, detail) {
  if (!ok) throw new Error('FAILED: ' + what + (detail === undefined ? '' : ': ' +
      JSON.stringify(detail)));
  console.log('ok: ' + what);
}

// Counts the distinct WebAssembly.Instance objects the page makes, by whichever door.
const countInstances = `(() => {
  const W = WebAssembly, Instance = W.Instance, seen = new WeakSet();
  let n = 0;
  const count = (i) => {
    if (i instanceof Instance && !seen.has(i)) { seen.add(i); ++n; }
    return i;
  };
  W.Instance = new Proxy(Instance, {
    construct: (t, a, nt) => count(Reflect.construct(t, a, nt)),
  });
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const f = W[name];
    if (f) W[name] = function(...a) {
      return f.apply(this, a).then((r) => { count(r instanceof Instance ? r : r.instance); return r; });
    };
  }
  Object.defineProperty(window, '__wasmInstances', {get: () => n});
})();`;

// What the page's charts hold, as plain data.
const chartsExpression = `__dashboard.charts.map((c, i) => ({
  title: c.title, kind: c.kind, route: c.route, series: c.series, colors: c.colors,
  dts: c.pushed.map((p) => p[0]), values: c.pushed.map((p) => p[1]),
  plotted: __dashboard.plotted(i), width: c.canvas.width, height: c.canvas.height}))`;

// Per canvas: pixels of any series colour, those above the bottom rows, and non-white ones.
const pixelsExpression = `__dashboard.charts.map((c) => {
  const {data, width, height} =
      c.canvas.getContext('2d').getImageData(0, 0, c.canvas.width, c.canvas.height);
  let series = 0, raised = 0, drawn = 0;
  for (let i = 0; i < data.length; i += 4) {
    const rgb = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
    if (rgb !== 0xffffff) ++drawn;
    if (c.colors.includes(rgb)) {
      ++series;
      if (i / 4 / width < height - 3) ++raised;
    }
  }
  return {series, raised, drawn};
})`;

async function load(browser, url) {
  const page = await browser.newPage(1200, 1000);
  await page.send('Page.addScriptToEvaluateOnNewDocument', {source: countInstances});
  await page.navigate(url);
  await page.until('window.__dashboard && __dashboard.polls >= 2');
  return page;
}

// The private bytes (resident, not shared) of the browser's renderer processes, from
// /proc/PID/smaps_rollup (Linux; 0 elsewhere). With one tab open it is that tab's renderer (and
// a spare one Chromium may keep, the same in both modes).
function rendererPrivateBytes(browser) {
  let total = 0;
  const children = new Map();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(pid));
    } catch (e) {}  // gone meanwhile
  }
  const stack = [browser.child.pid];
  while (stack.length) {
    const pid = stack.pop();
    stack.push(...(children.get(pid) || []));
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      for (const m of rollup.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB$/gm))
        total += Number(m[1]) * 1024;
    } catch (e) {}
  }
  return total;
}

async function memory(page) {
  await page.send('HeapProfiler.collectGarbage');
  const m = await page.metrics();
  return {
    rendererPrivate: rendererPrivateBytes(page.browser),
    charts: await page.evaluate('__dashboard.charts.length'),
    instances: await page.evaluate('__wasmInstances'),
    wasmBytes: await page.evaluate('__dashboard.wasmBytes()'),
    jsHeapUsed: m.JSHeapUsedSize,
    jsHeapTotal: m.JSHeapTotalSize,
  };
}

// Requests to the routes of tests/browser/charts.sh's configuration for about `ms`; the number
// sent to each route.
async function traffic(ms) {
  const sent = {'/factorial': 0, '/counter': 0, '/kv/update': 0};
  const end = Date.now() + ms;
  for (let round = 0; Date.now() < end; ++round) {
    const r = await fetch(base + '/factorial?args=' + (round % 7 ? '10' : 'x'));
    await r.arrayBuffer();
    ++sent['/factorial'];
    if (round % 2 === 0) {
      await (await fetch(base + '/counter', {method: 'POST'})).arrayBuffer();
      ++sent['/counter'];
    }
    if (round % 3 === 0) {
      await (await fetch(base + '/kv/update?args=7')).arrayBuffer();
      ++sent['/kv/update'];
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return sent;
}

// wisp_http_responses_total summed over codes, by route.
async function metricsCounts() {
  const text = await (await fetch(base + '/metrics')).text();
  const counts = {};
  for (const m of text.matchAll(/^wisp_http_responses_total\{route="([^"]*)",code="\d+"\} (\d+)$/gm))
    counts[m[1]] = (counts[m[1]] || 0) + Number(m[2]);
  return counts;
}

async function test(browser) {
  const page = await load(browser, base + '/');
  const sent = await traffic(3500);
  const polls = await page.evaluate('__dashboard.polls');
  await page.until(`__dashboard.polls >= ${polls + 2}`);  // a poll wholly after the traffic

  check(await page.evaluate('__wasmInstances') === 1, 'the page made one WebAssembly.Instance',
      await page.evaluate('__wasmInstances'));
  const charts = await page.evaluate(chartsExpression);
  const routes = Object.keys(sent);
  check(charts.length === 2 + 2 * routes.length, 'two charts per route and two overall',
      charts.map((c) => c.title));

  const counts = await metricsCounts();
  const stats = await page.evaluate('__dashboard.stats');
  const first = await page.evaluate('__dashboard.first');
  for (const route of routes) {
    check(counts[route] === sent[route], `/metrics counts the ${sent[route]} requests to ${route}`,
        counts);
    const total = (s) => s.routes.find((r) => r.path === route).requests;
    check(total(stats) === counts[route], `the page's last poll has /metrics' count for ${route}`,
        [total(stats), counts[route]]);
    const c = charts.find((c) => c.kind === 'requests' && c.route === route);
    const rates = c.plotted[0];
    check(rates.length === c.dts.length && rates.length >= 3,
        `the ${route} chart holds one sample per poll`, [rates.length, c.dts.length]);
    rates.forEach((v, k) => {
      if (Math.abs(v - c.values[k][0]) > 1e-4 * Math.abs(v) + 1e-6)
        check(false, `the ${route} chart's context holds the rates the page pushed`, [v, c.values[k]]);
    });
    const integral = rates.reduce((sum, v, k) => sum + v * c.dts[k], 0);
    const delta = total(stats) - total(first);
    check(Math.abs(integral - delta) <= 1e-3 * delta + 0.01,
        `the plotted ${route} rates add up to the requests /metrics counted (${delta})`,
        [integral, delta]);
    check(Math.max(...rates) > 0, `the ${route} chart plotted traffic`, rates);
    const latency = charts.find((c) => c.kind === 'latency' && c.route === route);
    check(latency.plotted[1].some((v) => v > 0), `the ${route} latency chart plotted a p99`);
  }
  const pixels = await page.evaluate(pixelsExpression);
  charts.forEach((c, i) => {
    check(pixels[i].drawn > 0 && pixels[i].series > 0, `canvas "${c.title}" has the chart's pixels`,
        pixels[i]);
    if (c.kind === 'requests')
      check(pixels[i].raised > 0, `canvas "${c.title}" shows a rate above zero`, pixels[i]);
  });
  if (screenshot) {
    const {data} = await page.send('Page.captureScreenshot', {format: 'png'});
    fs.writeFileSync(screenshot, Buffer.from(data, 'base64'));
    console.log('screenshot: ' + screenshot);
  }

  const one = await memory(page);
  const per = await memory(await load(browser, base + '/?instances=per-chart'));
  check(per.instances === per.charts && per.charts === one.charts,
      `?instances=per-chart made one instance per chart (${per.charts})`, per);
  const n = one.charts;
  console.log(JSON.stringify({one, perChart: per, ratio: one.wasmBytes / per.wasmBytes}));
  check(one.wasmBytes <= (1 / n + 0.1) * per.wasmBytes,
      `one instance's Wasm memory (${one.wasmBytes} B) is at most 1/${n} + 10 % of ` +
      `${n} instances' (${per.wasmBytes} B)`);
}

// Loads the page `runs` times in each mode (a fresh tab each time) and prints each load's
// figures and the medians.
async function measure(browser, runs) {
  const rows = [];
  for (let r = 0; r < runs; ++r) {
    for (const mode of ['one', 'per-chart']) {
      const page = await load(browser, base + (mode === 'one' ? '/' : '/?instances=per-chart'));
      const m = {mode, ...(await memory(page))};
      console.log(JSON.stringify(m));
      rows.push(m);
      await page.send('Page.close');
    }
  }
  const median = (mode, key) => {
    const v = rows.filter((r) => r.mode === mode).map((r) => r[key]).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  const n = rows[0].charts;
  console.log(`\ncharts N = ${n}; medians of ${runs} loads per mode`);
  console.log('                      one instance   one per chart   ratio   target (1/N + 10 %)');
  for (const [label, key] of [['Wasm memory (bytes)', 'wasmBytes'],
    ['JS heap used (bytes)', 'jsHeapUsed'], ['JS heap total (bytes)', 'jsHeapTotal'],
    ['renderer private (B)', 'rendererPrivate']]) {
    const a = median('one', key), b = median('per-chart', key);
    console.log(label.padEnd(22) + String(a).padStart(12) + String(b).padStart(16) +
        (a / b).toFixed(3).padStart(8) + (key === 'wasmBytes' ? (1 / n + 0.1).toFixed(3).padStart(10) : ''));
  }
}

(async () => {
  const browser = await Browser.launch(chromium);
  const version = await browser.send('Browser.getVersion');
  console.log('browser: ' + version.product);
  try {
    if (measureRuns > 0) await measure(browser, measureRuns);
    else await test(browser);
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
