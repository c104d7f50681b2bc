// What every browser test in t/e2e shares: the environment t/e2e/run.sh
// sets, PASS/FAIL lines, waiting, reloading the test's nginx and
// launching Debian's chromium.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const BASE = process.env.E2E_BASE;
export const OUT = process.env.E2E_OUT;
export const PREFIX = process.env.E2E_PREFIX;
const NGINX_BIN = process.env.NGINX_BIN || '/usr/sbin/nginx';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!BASE || !OUT || !PREFIX) {
  console.error('run me through t/e2e/run.sh (E2E_BASE, E2E_OUT, E2E_PREFIX)');
  process.exit(2);
}

let failures = 0;

// One PASS/FAIL line; returns ok.
export function check(name, ok, detail) {
  console.log((ok ? 'PASS' : 'FAIL') + ': ' + name + (detail ? ' (' + detail + ')' : ''));
  if (!ok) failures++;
  return ok;
}

export const failureCount = () => failures;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, fn, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

// nginx -s reload of the test's nginx (the master's pid from the prefix's
// pid file): every subscriber connection is ended.
export function reloadNginx() {
  execFileSync(NGINX_BIN, ['-p', PREFIX, '-c', 'conf/nginx.conf', '-s', 'reload'],
    { stdio: 'pipe' });
}

// A fresh headless chromium with an empty profile under OUT.
export async function launchBrowser(profileName, viewport) {
  const profile = path.join(OUT, profileName);
  fs.mkdirSync(profile, { recursive: true });
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update',
      '--disable-sync'],
    viewport,
  });
}
