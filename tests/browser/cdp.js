// A small Chrome DevTools Protocol client over --remote-debugging-pipe (no npm package): starts
// headless Chromium with the protocol on its descriptors 3 (commands in) and 4 (replies and
// events out), NUL-separated JSON messages. Used by the browser tests (charts.js) and
// bench/browser_charts_memory.sh.
'use strict';
const {spawn} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

class Browser {
  static async launch(executable) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-chromium-'));
    // --no-sandbox: the sandbox needs unprivileged user namespaces or a setuid helper, which
    // containers, root shells and some CI runners do not allow; the page loaded is the local
    // server's own dashboard.
    const args = ['--headless', '--no-sandbox', '--remote-debugging-pipe', '--no-first-run',
      '--no-default-browser-check', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-extensions', '--disable-background-networking', '--hide-scrollbars',
      '--user-data-dir=' + profile, 'about:blank'];
    const child = spawn(executable, args, {stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe']});
    const b = new Browser(child, profile);
    await b.send('Target.setDiscoverTargets', {discover: true});
    return b;
  }

  constructor(child, profile) {
    this.child = child;
    this.profile = profile;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    this.stderr = '';
    let buffer = '';
    child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    child.stdio[4].on('data', (d) => {
      buffer += d;
      let end;
      while ((end = buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const {reject} of this.pending.values())
        reject(new Error(`chromium exited (${code ?? signal}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  dispatch(message) {
    if (message.id !== undefined) {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.error) p.reject(new Error(`${p.method}: ${JSON.stringify(message.error)}`));
      else p.resolve(message.result);
      return;
    }
    for (const l of this.listeners.slice()) l(message);
  }

  send(method, params = {}, sessionId = undefined) {
    if (this.exited) return Promise.reject(new Error('chromium has exited: ' + this.stderr));
    const id = this.nextId++;
    const message = {id, method, params};
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject, method});
      this.child.stdio[3].write(JSON.stringify(message) + '\0');
    });
  }

  // The next event named `method` (of the session, if given) within timeoutMs.
  waitFor(method, sessionId, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error('no ' + method + ' within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      const listener = (m) => {
        if (m.method !== method || (sessionId && m.sessionId !== sessionId)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(m.params);
      };
      this.listeners.push(listener);
    });
  }

  async newPage(width, height) {
    const {targetId} = await this.send('Target.createTarget', {url: 'about:blank'});
    const {sessionId} =
        await this.send('Target.attachToTarget', {targetId, flatten: true});
    const page = new Page(this, sessionId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    await page.send('Performance.enable');
    await page.send('Emulation.setDeviceMetricsOverride',
        {width, height, deviceScaleFactor: 1, mobile: false});
    return page;
  }

  async close() {
    if (!this.exited) {
      const gone = new Promise((r) => this.child.once('exit', r));
      this.send('Browser.close').catch(() => {});
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    fs.rmSync(this.profile, {recursive: true, force: true});
  }
}

class Page {
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
  }
  send(method, params = {}) {
    return this.browser.send(method, params, this.sessionId);
  }
  async navigate(url) {
    const loaded = this.browser.waitFor('Page.loadEventFired', this.sessionId);
    const r = await this.send('Page.navigate', {url});
    if (r.errorText) throw new Error(`${url}: ${r.errorText}`);
    await loaded;
  }
  // The value of a JavaScript expression in the page (awaited if a promise), as JSON.
  async evaluate(expression) {
    const r = await this.send('Runtime.evaluate',
        {expression, awaitPromise: true, returnByValue: true});
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      throw new Error(`${expression}: ${d.exception ? d.exception.description : d.text}`);
    }
    return r.result.value;
  }
  // Polls `expression` until it is truthy (every 100 ms, up to timeoutMs).
  async until(expression, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate(expression);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async metrics() {
    const {metrics} = await this.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  }
}

module.exports = {Browser};
