// Nchan's own browser client, NchanSubscriber (npm "nchan", pinned in
// package-lock.json), in headless chromium against an nginx that
// t/e2e/run.sh started with t/e2e/nchan/nginx.conf.  For each of its
// subscriber types (websocket, eventsource, longpoll): the messages a
// backend publishes arrive in order with their ids, then nginx reloads,
// which drops every subscriber; more is published while the client is
// away, and once it is back it has everything, once, in order.  Then the
// longpoll type again, against push_longpoll_multipart.  Then the websocket
// and eventsource types with an id Nchan gave out already stored.
// Prints one PASS/FAIL line per check; exits 1 on any FAIL.
import fs from 'node:fs';
import path from 'node:path';
import { BASE, OUT, check, failureCount, sleep, waitFor, reloadNginx,
  launchBrowser } from './common.mjs';

// Each case: a NchanSubscriber type on a subscriber location.
const CASES = [
  { name: 'websocket', type: 'websocket', location: '/sub/' },
  { name: 'eventsource', type: 'eventsource', location: '/sub/' },
  { name: 'longpoll', type: 'longpoll', location: '/sub/' },
];

const run = Date.now().toString(36);
const started = Date.now();

// As a backend publishes; returns the message's id.
async function publish(channel, text) {
  const res = await fetch(`${BASE}/pub/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: text,
  });
  const body = await res.text();
  if (res.status !== 201 && res.status !== 202) {
    throw new Error(`publish ${text}: ${res.status} ${body}`);
  }
  return JSON.parse(body).last_message_id;
}

async function subscribers(channel) {
  const res = await fetch(`${BASE}/pub/${channel}`);
  return res.status === 200 ? (await res.json()).subscribers : 0;
}

// What the subscriber handed the application, checked against what was
// published: the same data in the same order, nothing twice, and each
// message's id as the client reports it: ours as is for websocket and
// eventsource; for longpoll NchanSubscriber builds it from the answer's
// Last-Modified (seconds) and Etag (our id, quoted).
function expectMessages(c, stage, got, want) {
  const data = got.map((m) => m.data);
  const wantData = want.map((w) => w.text);
  const same = data.length === wantData.length && data.every((d, i) => d === wantData[i]);
  check(`${c.name}: ${stage}: ${want.length} messages in order, none lost or twice`,
    same, same ? '' : 'got ' + JSON.stringify(data));
  const ids = got.map((m) => m.id);
  const idOk = (id, w) => (c.type === 'longpoll'
    ? new RegExp(`^\\d+:"${w.id}"$`).test(id) : id === w.id);
  const idsOk = same && want.every((w, i) => idOk(ids[i], w));
  check(`${c.name}: ${stage}: each message carries its id`, idsOk,
    `ids ${JSON.stringify(ids)}`);
}

// --- browser ------------------------------------------------------------

const context = await launchBrowser('chromium-profile-nchan', { width: 1000, height: 700 });
const consoleLog = fs.createWriteStream(path.join(OUT, 'nchan-console.log'));
const pageErrors = [];
const page = context.pages()[0] || await context.newPage();
page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
page.on('pageerror', (e) => {
  pageErrors.push(String(e));
  consoleLog.write(`[pageerror] ${e}\n`);
});

const state = (name) => page.evaluate((n) => window.subState(n), name);

async function runCase(c) {
  const t0 = Date.now();
  const channel = `nchan-${c.name}-${run}`;
  try {
    await page.evaluate(([n, url, type]) => window.startSub(n, url, type),
      [c.name, c.location + channel, c.type]);

    // 1. in order, with ids
    await waitFor(`${c.name} to subscribe`, async () => (await subscribers(channel)) >= 1);
    const want = [];
    for (const text of ['a1', 'a2 two words', 'a3']) {
      want.push({ text, id: await publish(channel, text) });
    }
    await waitFor(`${c.name} to get 3 messages`, async () =>
      (await state(c.name)).got.length >= want.length).catch(() => {});
    await sleep(300); // anything more (a duplicate) would come now
    let st = await state(c.name);
    check(`${c.name}: NchanSubscriber uses its ${c.type} transport`,
      st.transport === c.type, `transport ${st.transport}`);
    expectMessages(c, 'before the reload', st.got, want);

    // 2. nginx reloads: the old workers let go of the subscriber; the
    //    backend publishes while it is away; it comes back by itself and
    //    resumes after the last message it had.
    const before = st;
    reloadNginx();
    await waitFor(`${c.name} to lose its connection`, async () => {
      const s = await state(c.name);
      return s.disconnects + s.errors.length > before.disconnects + before.errors.length;
    }, 10000);
    for (const text of ['b1', 'b2', 'b3']) {
      want.push({ text, id: await publish(channel, text) });
    }
    await waitFor(`${c.name} to get 6 messages`, async () =>
      (await state(c.name)).got.length >= want.length).catch(() => {});
    await sleep(500);
    st = await state(c.name);
    expectMessages(c, 'across the reload', st.got, want);
    console.log(`     ${c.name}: connects ${before.connects} -> ${st.connects}, ` +
      `disconnects ${st.disconnects}, errors ${JSON.stringify(st.errors)}`);
  } catch (e) {
    const s = await state(c.name).catch(() => ({}));
    check(`${c.name}`, false, `${e.message}; client: connects ${s.connects}, ` +
      `disconnects ${s.disconnects}, errors ${JSON.stringify(s.errors)}, ` +
      `messages ${JSON.stringify(s.got)}`);
  } finally {
    await page.evaluate((n) => window.subs[n] && window.subs[n].sub.stop(), c.name)
      .catch(() => {});
    console.log(`     ${c.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

// NchanSubscriber's longpoll type against push_longpoll_multipart: the
// messages waiting when it polls come in one multipart/mixed answer.
// What it hands the application from such an answer is checked as it is:
// its parser keeps the CR of the CRLF that ends each part (it does so
// against Nchan as well), and only the last part gets an id (built from
// the answer's Last-Modified and Etag, those of the last message).
function expectBatch(name, stage, got, want) {
  const data = got.map((m) => m.data);
  const wantData = want.map((w) => w.text + '\r');
  const same = data.length === wantData.length && data.every((d, i) => d === wantData[i]);
  check(`${name}: ${stage}: ${want.length} messages in one answer, in order, ` +
    'each with the CR NchanSubscriber keeps', same,
    same ? '' : 'got ' + JSON.stringify(data));
  const ids = got.map((m) => m.id);
  const last = want[want.length - 1].id;
  const idsOk = same && ids.every((id, i) => (i < ids.length - 1
    ? id === undefined : new RegExp(`^\\d+:"${last}"$`).test(id)));
  check(`${name}: ${stage}: the last part carries the id of the answer`, idsOk,
    `ids ${JSON.stringify(ids.map((id) => (id === undefined ? null : id)))}`);
}

async function runMultipartCase() {
  const name = 'longpoll-multipart';
  const t0 = Date.now();
  const channel = `nchan-${name}-${run}`;
  try {
    // 1. three messages wait before it subscribes (push_first_message
    //    oldest): its first poll gets them in one answer
    const want = [];
    for (const text of ['a1', 'a2 two words', 'a3']) {
      want.push({ text, id: await publish(channel, text) });
    }
    // it polls again 3 s after an error: long enough for step 2 to
    // publish while it is away
    await page.evaluate(([n, url, type, t]) => window.startSub(n, url, type, t),
      [name, '/sub-multipart/' + channel, 'longpoll', 3000]);
    await waitFor(`${name} to get 3 messages`, async () =>
      (await state(name)).got.length >= 3).catch(() => {});
    await sleep(300);
    let st = await state(name);
    expectBatch(name, 'before the reload', st.got, want);

    // 2. nginx reloads; three more are published while it is away; its
    //    next poll, with the cursor of a3, gets them in one answer
    const before = st;
    reloadNginx();
    await waitFor(`${name} to lose its connection`, async () => {
      const s = await state(name);
      return s.disconnects + s.errors.length > before.disconnects + before.errors.length;
    }, 10000);
    const more = [];
    for (const text of ['b1', 'b2', 'b3']) {
      more.push({ text, id: await publish(channel, text) });
    }
    await waitFor(`${name} to get 6 messages`, async () =>
      (await state(name)).got.length >= 6, 20000).catch(() => {});
    await sleep(500);
    st = await state(name);
    check(`${name}: across the reload: 6 messages in all, none lost or twice`,
      st.got.length === 6, `got ${JSON.stringify(st.got.map((m) => m.data))}`);
    expectBatch(name, 'across the reload', st.got.slice(3), more);
    console.log(`     ${name}: connects ${before.connects} -> ${st.connects}, ` +
      `errors ${JSON.stringify(st.errors)}`);
  } catch (e) {
    const s = await state(name).catch(() => ({}));
    check(name, false, `${e.message}; client: errors ${JSON.stringify(s.errors)}, ` +
      `messages ${JSON.stringify(s.got)}`);
  } finally {
    await page.evaluate((n) => window.subs[n] && window.subs[n].sub.stop(), name)
      .catch(() => {});
    console.log(`     ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

// A client coming from Nchan: NchanSubscriber with reconnect: 'session'
// starts from the id it stored while it talked to Nchan (as Nchan writes
// them, "<time>:<tag>").  It is started over (the gap signal "unknown",
// which over ws+meta.nchan reaches the application as a message of its own
// content type), then gets what is published, with our ids, and stores
// one of ours: no refusal, no loop of reconnects.
const NCHAN_STORED_ID = '1606400000:0';
const GAP_TYPE = 'application/vnd.push-gap+json';

async function runStoredNchanIdCase(type) {
  const name = `stored-nchan-id-${type}`;
  const t0 = Date.now();
  const channel = `nchan-${name}-${run}`;
  const url = '/sub/' + channel;
  try {
    await page.evaluate(([u, id]) => sessionStorage.setItem(
      `NchanSubscriber:${u}:lastMessageId`, id), [url, NCHAN_STORED_ID]);
    await page.evaluate(([n, u, t]) => window.startSub(n, u, t, 500, 'session'),
      [name, url, type]);
    await waitFor(`${name} to subscribe`, async () => (await subscribers(channel)) >= 1);
    const want = [];
    for (const text of ['c1', 'c2', 'c3']) {
      want.push({ text, id: await publish(channel, text) });
    }
    const messages = (s) => s.got.filter((m) => m.type !== GAP_TYPE);
    await waitFor(`${name} to get 3 messages`, async () =>
      messages(await state(name)).length >= want.length).catch(() => {});
    await sleep(300);
    const st = await state(name);
    check(`${name}: no error, connected once`,
      st.errors.length === 0 && st.connects === 1,
      `errors ${JSON.stringify(st.errors)}, connects ${st.connects}`);
    expectMessages({ name, type }, 'from a stored Nchan id', messages(st), want);
    const notices = st.got.filter((m) => m.type === GAP_TYPE).map((m) => m.data);
    if (type === 'websocket') {
      check(`${name}: told of the gap first, as "unknown"`,
        notices.length === 1 && st.got[0].type === GAP_TYPE
        && notices[0] === '{"push_gap":"unknown"}', `notices ${JSON.stringify(notices)}`);
    }
    const stored = await page.evaluate((u) => sessionStorage.getItem(
      `NchanSubscriber:${u}:lastMessageId`), url);
    check(`${name}: it now stores our id`, stored === want[want.length - 1].id,
      `stored ${stored}`);
  } catch (e) {
    const s = await state(name).catch(() => ({}));
    check(name, false, `${e.message}; client: connects ${s.connects}, ` +
      `errors ${JSON.stringify(s.errors)}, messages ${JSON.stringify(s.got)}`);
  } finally {
    await page.evaluate((n) => window.subs[n] && window.subs[n].sub.stop(), name)
      .catch(() => {});
    console.log(`     ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

try {
  await page.goto(`${BASE}/`);
  const loaded = await page.evaluate(() => typeof NchanSubscriber === 'function');
  check('NchanSubscriber.js is served and loads', loaded);
  for (const c of CASES) {
    await runCase(c);
  }
  await runMultipartCase();
  for (const type of ['websocket', 'eventsource']) {
    await runStoredNchanIdCase(type);
  }
  check('no JavaScript errors on the page', pageErrors.length === 0,
    pageErrors.join('; '));
} finally {
  await context.close();
  consoleLog.end();
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(failureCount() ? `e2e nchan: ${failureCount()} FAILED in ${secs} s`
  : `e2e nchan: all passed in ${secs} s`);
process.exit(failureCount() ? 1 : 0);
