// The dashboard's live part (inlined into / by src/serve/metrics.cpp). It polls /stats.json once
// a second, keeps five minutes of history, and draws the charts with /dashboard/charts.wasm
// (charts.c), which it instantiates once: every chart is a context in that one instance, a
// region of its memory this script allocates and passes as a pointer. The page copies each
// chart's pixels from the instance's framebuffer to the chart's canvas. ?instances=per-chart
// makes one instance per chart instead: only to measure what sharing saves (the README's
// "Scenarios: charts in a browser"). window.__dashboard shows what the page plotted (the browser
// test reads it).
'use strict';
(async () => {
  const perChart = new URLSearchParams(location.search).get('instances') === 'per-chart';
  const module = await WebAssembly.compile(
      await (await fetch('/dashboard/charts.wasm')).arrayBuffer());
  const palette = [0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd];
  const width = 360, height = 120;

  // One instance and a bump allocator over its memory: regions go above the memory the module
  // starts with (its data, stack and framebuffer), which grows by whole pages as they are taken.
  class Heap {
    constructor(instance) {
      this.exports = instance.exports;
      this.top = this.end = this.exports.memory.buffer.byteLength;
    }
    alloc(bytes) {
      const at = Math.ceil(this.top / 16) * 16;
      if (at + bytes > this.end) {
        this.exports.memory.grow(Math.ceil((at + bytes - this.end) / 65536));
        this.end = this.exports.memory.buffer.byteLength;
      }
      this.top = at + bytes;
      return at;
    }
  }
  const heaps = [];
  async function heap() {
    if (!perChart && heaps.length) return heaps[0];
    heaps.push(new Heap(await WebAssembly.instantiate(module)));
    return heaps[heaps.length - 1];
  }

  // The upper bound (ms) of the bucket holding the q-quantile of a log2 histogram of ns, as
  // src/share/log2_histogram.hpp; NaN if it is empty.
  function quantileMs(histogram, q) {
    const total = histogram.reduce((a, b) => a + b, 0);
    if (total === 0) return NaN;
    const want = Math.floor(q * (total - 1)) + 1;
    let seen = 0;
    for (let i = 0; i < histogram.length; ++i) {
      seen += histogram[i];
      if (seen >= want) return 2 ** (i + 1) / 1e6;
    }
    return NaN;
  }

  // What each kind of chart plots from two consecutive polls (dt seconds apart).
  const byPath = (stats, path) => stats.routes.find((r) => r.path === path);
  function chartsFor(stats) {
    const list = [];
    const strategies = Object.keys(stats.strategies);
    list.push({
      title: 'instances live per strategy', kind: 'instances', series: strategies,
      values: (prev, cur) => strategies.map((s) => cur.strategies[s] ?? NaN),
    });
    list.push({
      title: 'Wasm memory committed (MiB)', kind: 'memory', series: ['committed'],
      values: (prev, cur) => [cur.runtime.committed_bytes / 1048576],
    });
    for (const r of stats.routes) {
      list.push({
        title: r.path + ' requests/s', kind: 'requests', route: r.path, series: ['requests/s'],
        values: (prev, cur, dt) =>
            [(byPath(cur, r.path).requests - byPath(prev, r.path).requests) / dt],
      });
      list.push({
        title: r.path + ' latency (ms)', kind: 'latency', route: r.path, series: ['p50', 'p99'],
        values: (prev, cur) => {
          const a = byPath(prev, r.path).duration_ns_histogram;
          const d = byPath(cur, r.path).duration_ns_histogram.map((n, i) => n - a[i]);
          return [quantileMs(d, 0.5), quantileMs(d, 0.99)];
        },
      });
    }
    return list;
  }

  async function makeCharts(stats) {
    const box = document.getElementById('charts');
    const charts = chartsFor(stats);
    for (const c of charts) {
      c.heap = await heap();
      const e = c.heap.exports;
      c.ctx = c.heap.alloc(e.chart_context_size());
      if (e.chart_init(c.ctx, width, height, c.series.length) !== 0) throw new Error(c.title);
      c.colors = c.series.map((s, i) => palette[i % palette.length]);
      c.colors.forEach((rgb, i) => e.chart_set_color(c.ctx, i, rgb));
      c.pushed = [];  // [seconds since the previous poll, the values pushed]
      const figure = document.createElement('figure');
      const caption = document.createElement('figcaption');
      c.canvas = document.createElement('canvas');
      c.canvas.width = width;
      c.canvas.height = height;
      c.caption = caption;
      figure.append(caption, c.canvas);
      box.append(figure);
    }
    return charts;
  }

  function caption(c, values) {
    c.caption.textContent = c.title + ' (axis 0–' +
        c.heap.exports.chart_top(c.ctx).toPrecision(3) + ')';
    c.series.forEach((name, i) => {
      const key = document.createElement('span');
      key.className = 'key';
      key.style.background = '#' + c.colors[i].toString(16).padStart(6, '0');
      const v = values[i];
      c.caption.append(key, name + ' ' + (Number.isNaN(v) ? '–' : +v.toPrecision(3)));
    });
  }

  function draw(c) {
    const e = c.heap.exports;
    const pixels = e.chart_draw(c.ctx);
    const rgba = new Uint8ClampedArray(e.memory.buffer, pixels, width * height * 4);
    c.canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
  }

  function table(stats) {
    const body = document.querySelector('#routes tbody');
    body.replaceChildren(...stats.routes.map((r) => {
      const tr = document.createElement('tr');
      for (const v of [r.path, r.strategy, r.requests, r.errors, r.p50, r.p99, r.instances.live,
        r.instances.created, r.instances.resets, r.instances.discarded, r.instances.waits]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      return tr;
    }));
    const committed = Math.floor(stats.runtime.committed_bytes / 1048576);
    document.getElementById('runtime').firstChild.textContent =
        'slots in use ' + stats.runtime.slots_in_use + ', committed ' + committed +
        ' MiB, snapshot images ' + stats.runtime.images + ' (' +
        Math.floor(stats.runtime.image_bytes / 1024) + ' KiB). ';
  }

  const shape = (s) => JSON.stringify([s.routes.map((r) => r.path), Object.keys(s.strategies)]);
  let charts = null, first = null, prev = null, polls = 0;
  window.__dashboard = {
    perChart,
    get polls() { return polls; },
    get charts() { return charts; },
    get stats() { return prev; },  // the last poll's /stats.json
    get first() { return first; },  // the first (the charts start from it)
    // The Wasm memory of the page's chart instances, in bytes.
    wasmBytes: () => heaps.reduce((n, h) => n + h.exports.memory.buffer.byteLength, 0),
    instances: () => heaps.length,
    // What chart i holds, read back from its context: [series][sample].
    plotted: (i) => {
      const c = charts[i], e = c.heap.exports, n = e.chart_count(c.ctx);
      return c.series.map((s, k) => Array.from({length: n}, (_, j) => e.chart_value(c.ctx, k, j)));
    },
  };

  async function poll() {
    const stats = await (await fetch('/stats.json', {cache: 'no-store'})).json();
    if (prev && shape(prev) !== shape(stats)) return location.reload();  // routes reloaded
    if (!charts) {
      charts = await makeCharts(stats);
      first = stats;
    }
    if (prev) {
      const dt = stats.uptime_s - prev.uptime_s;
      for (const c of charts) {
        const values = c.values(prev, stats, dt);
        const e = c.heap.exports;
        values.forEach((v, i) => e.chart_sample(c.ctx, i, v));
        e.chart_push(c.ctx);
        c.pushed.push([dt, values]);
        if (c.pushed.length > 300) c.pushed.shift();
        draw(c);
        caption(c, values);
      }
    } else {
      charts.forEach((c) => {
        draw(c);
        caption(c, c.series.map(() => NaN));
      });
    }
    table(stats);
    prev = stats;
    ++polls;
  }
  for (;;) {
    const started = performance.now();
    try {
      await poll();
    } catch (err) {
      console.error('dashboard:', err);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - started))));
  }
})();
