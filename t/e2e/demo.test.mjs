// The demo page (examples/html/index.html) in headless chromium against an
// nginx that t/e2e/run.sh started with examples/nginx.conf.  Publishes like
// a backend would (HTTP POST to /pub/), through the page's own box and its
// WebSocket, and checks what every panel received: all of it, in order,
// once.  Prints one PASS/FAIL line per check; exits 1 on any FAIL.
import fs from 'node:fs';
import path from 'node:path';
import { BASE, OUT, check, failureCount, sleep, waitFor, reloadNginx,
  launchBrowser } from './common.mjs';

// A channel of its own, so that nothing left in the zone can interfere.
const channel = 'e2e-' + Date.now().toString(36);
const PANELS = ['poll', 'longpoll', 'stream', 'sse', 'ws'];
const started = Date.now();

// As a backend publishes: JSON with the send time, so the page can show
// the latency.
async function publish(text, headers = {}) {
  const res = await fetch(`${BASE}/pub/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ text, sent: Date.now() }),
  });
  const body = await res.text();
  if (res.status !== 201 && res.status !== 202) {
    throw new Error(`publish ${text}: ${res.status} ${body}`);
  }
  return JSON.parse(body);
}

async function channelInfo() {
  const res = await fetch(`${BASE}/pub/${channel}`);
  return res.status === 200 ? res.json() : null;
}

const only = (list, prefix) =>
  list.filter((m) => m.text.startsWith(prefix)).map((m) => m.text);
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function received(page) {
  return page.evaluate(() => window.demo.received);
}

// Waits until every listed panel holds `want` (texts with `prefix`), then
// checks each one: same messages, same order, nothing twice.
async function expectPanels(page, scenario, prefix, want, panels) {
  let got = null;
  try {
    await waitFor(`${scenario} on ${panels.join(',')}`, async () => {
      got = await received(page);
      return panels.every((p) => only(got[p], prefix).length >= want.length);
    });
    await sleep(300); // anything more (a duplicate) would come now
  } catch (e) {
    /* reported panel by panel below */
  }
  got = await received(page);
  for (const p of panels) {
    const seen = only(got[p], prefix);
    check(`${scenario}: ${p} got ${want.length} in order, none lost or twice`,
      same(seen, want), same(seen, want) ? '' : 'got ' + JSON.stringify(seen));
  }
  return got;
}

function median(xs) {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
}

// --- browser ------------------------------------------------------------

const context = await launchBrowser('chromium-profile', { width: 1400, height: 900 });
const consoleLog = fs.createWriteStream(path.join(OUT, 'console.log'));
const pageErrors = [];
const page = context.pages()[0] || await context.newPage();
page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
page.on('pageerror', (e) => {
  pageErrors.push(String(e));
  consoleLog.write(`[pageerror] ${e}\n`);
});

async function scenario(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
  } catch (e) {
    check(name, false, e.message);
  }
  console.log(`     ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

try {
  await page.goto(`${BASE}/?channel=${channel}`);

  // Every technique subscribed: a short poll has its cursor, and the four
  // held connections (long-poll, stream, SSE, WebSocket) are counted by
  // the channel.
  await scenario('page ready', async () => {
    await waitFor('the page to subscribe', async () => {
      const info = await channelInfo();
      const st = await page.evaluate(() => ({
        cursor: window.demo.pollCursor, sse: window.demo.sse.opens,
        ws: window.demo.ws.opens }));
      return info && info.subscribers === 4 && st.cursor && st.sse && st.ws;
    });
    check('page ready: 4 held subscribers, a poll cursor, SSE and WebSocket open', true);
  });

  // 1. Messages published by a backend (HTTP POST) and by the page's box
  //    reach all five techniques.
  await scenario('scenario 1', async () => {
    const want = [];
    for (let i = 1; i <= 5; i++) {
      want.push(`s1-${i}`);
      await publish(`s1-${i}`);
    }
    await page.fill('#text', 's1-box');
    await page.click('#post');
    want.push('s1-box');
    const got = await expectPanels(page, 'scenario 1', 's1-', want, PANELS);
    check('scenario 1: nothing went to the myEvent listener',
      only(got.myEvent, 's1-').length === 0);
    const lat = PANELS.map((p) => `${p} ${median(got[p]
      .filter((m) => m.text.startsWith('s1-')).map((m) => m.latency))} ms`);
    console.log('     median latency: ' + lat.join(', '));

    // The page's box goes through /demo/say/, never to the publisher
    // itself: the internal location is not reachable, and the forwarding
    // one takes POST only.
    const st = await page.evaluate(async (ch) => ({
      internal: (await fetch('/internal/pub/' + ch, { method: 'POST', body: 'x' })).status,
      infoViaSay: (await fetch('/demo/say/' + ch)).status,
      deleteViaSay: (await fetch('/demo/say/' + ch, { method: 'DELETE' })).status,
    }), channel);
    check('scenario 1: the internal publisher is not exposed',
      st.internal === 404 && st.infoViaSay === 405 && st.deleteViaSay === 405,
      JSON.stringify(st));
  });

  // 2. A message published with Push-Event: myEvent goes to the
  //    EventSource's myEvent listener, not to onmessage; the other
  //    techniques get it as a message.
  await scenario('scenario 2', async () => {
    await publish('s2-a');
    await publish('s2-event', { 'Push-Event': 'myEvent' });
    await publish('s2-b');
    const got = await expectPanels(page, 'scenario 2', 's2-',
      ['s2-a', 's2-event', 's2-b'], ['poll', 'longpoll', 'stream', 'ws']);
    await waitFor('SSE to get s2-b', async () =>
      only((await received(page)).sse, 's2-').includes('s2-b')).catch(() => {});
    const now = await received(page);
    const sse = only(now.sse, 's2-'), ev = only(now.myEvent, 's2-');
    check('scenario 2: onmessage got s2-a, s2-b and not the event',
      same(sse, ['s2-a', 's2-b']), JSON.stringify(sse));
    check('scenario 2: the myEvent listener got s2-event only',
      same(ev, ['s2-event']), JSON.stringify(ev));
    const lp = got.longpoll.find((m) => m.text === 's2-event');
    check('scenario 2: the long-poll answer named the event',
      lp && /event myEvent/.test(lp.detail), lp && lp.detail);
  });

  // 3. nginx reloads: the old workers let go of every subscriber.  While
  //    the EventSource is away (it waits `retry:` before reconnecting) the
  //    backend publishes; the browser's reconnect sends Last-Event-ID and
  //    gets all of it.  Polls resume with their cursor as well.
  await scenario('scenario 3', async () => {
    const before = await page.evaluate(() => ({ ...window.demo.sse,
      streamOpens: window.demo.stream.opens, streamEnds: window.demo.stream.ends }));
    reloadNginx();
    await waitFor('the EventSource to lose its connection', async () =>
      (await page.evaluate(() => window.demo.sse.errors)) > before.errors, 10000);
    await waitFor('the stream to end', async () =>
      (await page.evaluate(() => window.demo.stream.ends)) > before.streamEnds, 10000);
    const want = ['s3-1', 's3-2', 's3-3', 's3-4'];
    for (const t of want) await publish(t);
    const streamAway = await page.evaluate(() => ({ ...window.demo.stream }));
    check('scenario 3: published while the stream was away',
      streamAway.opens === before.streamOpens, JSON.stringify(streamAway));
    const away = await page.evaluate(() => evtSource.readyState);
    check('scenario 3: published while the EventSource was reconnecting',
      away === 0 /* CONNECTING */, 'readyState ' + away);
    const got = await expectPanels(page, 'scenario 3', 's3-', want,
      ['sse', 'longpoll', 'poll']);
    // The stream ended with the reload; it came back with the last id
    // its template gave it, and got what was published while away.
    await expectPanels(page, 'scenario 3 (stream resumed from its last id)',
      's3-', want, ['stream']);
    const after = await page.evaluate(() => ({ ...window.demo.sse }));
    check('scenario 3: the EventSource reconnected by itself',
      after.opens > before.opens, `opens ${before.opens} -> ${after.opens}`);
    // The WebSocket (push.v1.json) reconnects with the last id it saw.
    await expectPanels(page, 'scenario 3 (WebSocket resumes by its id)',
      's3-', want, ['ws']);
  });

  // 4. The page's WebSocket sends (push_websocket_publish on on /ws/): the
  //    other panels, and the sender itself, receive it.
  await scenario('scenario 4', async () => {
    await waitFor('every technique to be back after the reload', async () => {
      const info = await channelInfo();
      const wsOpen = await page.evaluate(() => ws.connected);
      return info && info.subscribers === 4 && wsOpen;
    });
    for (const t of ['s4-ws-1', 's4-ws-2']) {
      await page.fill('#text', t);
      await page.click('#wssend');
    }
    await expectPanels(page, 'scenario 4', 's4-', ['s4-ws-1', 's4-ws-2'], PANELS);
  });

  // Whatever happened in between, no panel ever shows a message twice.
  const all = await received(page);
  for (const p of PANELS) {
    const texts = all[p].map((m) => m.text);
    check(`no duplicates on ${p} over the whole run`,
      new Set(texts).size === texts.length, `${texts.length} messages`);
  }

  // 6. The WebSocket panel keeps its last push.v1.json id across a reload
  //    of the page: the page goes away, the backend publishes, the page
  //    comes back and its WebSocket reconnects with ?last_event_id=,
  //    getting exactly what was published meanwhile, nothing again.  Its
  //    heartbeat ("ping", answered "pong") shows as no message.
  await scenario('scenario 6', async () => {
    await publish('s6-1');
    await publish('s6-2');
    await expectPanels(page, 'scenario 6 (before the reload)', 's6-',
      ['s6-1', 's6-2'], ['ws']);
    const lastId = await page.evaluate(() => ws.lastId);
    const answered = await page.evaluate(() => new Promise((done) => {
      const seen = window.demo.ws.pongs;
      ws.socket.send('ping');
      setTimeout(() => done(window.demo.ws.pongs > seen), 2000);
    }));
    check('scenario 6: the heartbeat is answered and is no message',
      answered && !(await received(page)).ws.some((m) => /ping|pong/.test(m.text)));
    await page.goto('about:blank');
    await waitFor('the page to leave', async () =>
      (await channelInfo()).subscribers === 0);
    await publish('s6-3');
    await publish('s6-4');
    await page.goto(`${BASE}/?channel=${channel}`);
    await expectPanels(page, 'scenario 6 (after the reload)', 's6-',
      ['s6-3', 's6-4'], ['ws']);
    const from = await page.evaluate(() => window.demo.ws.resumedFrom);
    check('scenario 6: the reloaded page resumed from the last id it had',
      lastId && from === lastId, `${lastId} -> ${from}`);
    await waitFor('every technique to be back after the reload', async () => {
      const info = await channelInfo();
      return info && info.subscribers === 4;
    });
    await publish('s6-5');
    await expectPanels(page, 'scenario 6 (live again)', 's6-5', ['s6-5'], PANELS);
  });

  // 5. A screenshot of the page after the run.
  await scenario('scenario 5', async () => {
    const file = path.join(OUT, 'demo.png');
    await page.screenshot({ path: file, fullPage: true });
    const rows = await page.evaluate(() =>
      [...document.querySelectorAll('table')].map((t) => t.rows.length));
    check('scenario 5: screenshot saved, every panel shows messages',
      fs.statSync(file).size > 10000 && rows.every((n) => n > 0),
      `${file}, rows per panel ${rows.join(' ')}`);
  });

  check('no JavaScript errors on the page', pageErrors.length === 0,
    pageErrors.join('; '));
} finally {
  await context.close();
  consoleLog.end();
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(failureCount() ? `e2e: ${failureCount()} FAILED in ${secs} s` : `e2e: all passed in ${secs} s`);
process.exit(failureCount() ? 1 : 0);
