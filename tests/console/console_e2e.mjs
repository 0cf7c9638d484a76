#!/usr/bin/env node
// End-to-end test of the inspectors' web console against the real suite.
//
//   node tests/console/console_e2e.mjs
//
// Starts intake, workflow, supervision, scoring, notify and the gateway (serving services/gateway/console
// at /console/, and the pinned ECharts from tools/console-vendor) on free ports in a temporary
// directory, loads the demo catalogue over REST, submits and accepts a case, then moves
// supervision's clock to 15 s before the case's red instant (restart with --clock_offset) and
// drives a headless Chromium through the console: log in, the board turning yellow and then red
// live (no reload), the red list, the case page (timeline, calendar strip), issuing a
// supervision notice, the language switch, wall mode, search by case number, the monthly
// scores (the open month of the red instant: market's red deduction, the drill-down to the
// case, CSV and Excel downloads opened and checked) and the statistics page (ECharts canvases,
// redrawn on a language switch and a resize, disposed when left), the public's voice (a
// complaint filed over the public REST route about the case, accepted and concluded valid by
// the inspector on the complaints page with its light; the refused case rated 非常不满意 with a
// real name over REST, its rectification due with its light on the evaluations page; both
// counted by light on the board), the attendance page (a post set and a correction asked for
// over REST), logout, an administrator
// publishing an ended month and resending a dead letter on the notifications page (the case's
// red light told to market's head, whose contact was set over REST; no text-message channel
// here, so it is dead with the reason), the contact shown masked, an appeal (scoring restarted with its clock in the next month so
// the red month can be published: the market clerk appeals the case's red deduction, the
// inspector upholds it, the administrator approves the draft version without it), and the
// password change: a user the security
// administrator created must change the password at first login (the gateway's refusals shown
// in the user's language), and the top bar's button changes it any time. Screenshots go to
// $SUNLIGHT_SCREENSHOT_DIR.
//
// Environment: SUNLIGHT_BUILD_DIR (default <repo>/build), SUNLIGHT_SOURCE_DIR (default the
// repository of this script), SUNLIGHT_SCREENSHOT_DIR (default $BUILD/console-screenshots),
// SUNLIGHT_CHROMIUM (default /usr/bin/chromium), SUNLIGHT_KEEP_TMP=1 keeps the temporary
// directory (service logs) after a successful run; it is always kept after a failure.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.resolve(process.env.SUNLIGHT_SOURCE_DIR || path.join(here, '..', '..'));
const BUILD = path.resolve(process.env.SUNLIGHT_BUILD_DIR || path.join(SRC, 'build'));
const SHOTS = path.resolve(process.env.SUNLIGHT_SCREENSHOT_DIR || path.join(BUILD, 'console-screenshots'));
const CHROMIUM = process.env.SUNLIGHT_CHROMIUM || '/usr/bin/chromium';
const TOTAL_LIMIT_MS = 240_000;  // hard stop; a normal run takes well under 150 s
const RED_MARGIN_S = 15;         // supervision's clock starts this long before the red instant

const started = Date.now();
const children = [];             // { name, proc, args, logPath }
const screenshots = [];
let browser = null;
let currentPage = null;          // screenshot on failure
let tmp = null;

const elapsed = () => ((Date.now() - started) / 1000).toFixed(1).padStart(5);
function step(message) { console.log(`[${elapsed()} s] ${message}`); }
class TestFailure extends Error {}
function fail(message) { throw new TestFailure(message); }
function check(condition, message) { if (!condition) fail(message); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}` + (last ? ` (last error: ${last.message})` : ''));
    await sleep(intervalMs);
  }
}

// ------------------------------------------------------------------ processes

function logTail(logPath, lines = 15) {
  try {
    return fs.readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => '    ' + l).join('\n');
  } catch (e) {
    return '    (no log)';
  }
}

async function startService(name, binary, args, portFile) {
  check(fs.existsSync(binary), `${binary} does not exist: build the suite first (./tools/build), or set SUNLIGHT_BUILD_DIR`);
  fs.rmSync(portFile, { force: true });
  const logPath = path.join(tmp, `${name}.log`);
  const log = fs.openSync(logPath, 'a');
  const proc = spawn(binary, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const child = { name, proc, args, binary, logPath, exited: false };
  proc.on('exit', () => { child.exited = true; });
  children.push(child);
  const port = await waitFor(`${name} to write ${path.basename(portFile)}`, () => {
    if (child.exited) fail(`${name} exited during start (code ${proc.exitCode}); log:\n${logTail(logPath)}`);
    const text = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : '';
    return /^\d+$/.test(text) ? Number(text) : 0;
  }, 20_000, 50);
  return { child, port };
}

async function stopChild(child, timeoutMs = 10_000) {
  if (child.exited) return;
  const exited = new Promise((r) => child.proc.once('exit', r));
  child.proc.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)]);
  if (!done) {
    child.proc.kill('SIGKILL');
    await exited;
    return false;
  }
  return true;
}

async function cleanup() {
  if (browser) {
    await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
    browser = null;
  }
  await Promise.all(children.filter((c) => !c.exited).reverse().map((c) => stopChild(c, 5000)));
}

// ------------------------------------------------------------------ REST

let httpBase = '';
async function rest(method, urlPath, { token, body, expect = [200] } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(httpBase + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : {}; } catch (e) { data = { raw: text }; }
  if (!expect.includes(res.status)) {
    fail(`${method} ${urlPath}: HTTP ${res.status} (expected ${expect.join('/')}): ${text.slice(0, 400)}`);
  }
  return data;
}
async function loginRest(user, password) {
  const data = await rest('POST', '/v1/login', { body: { user_id: user, password } });
  check(data.token, `login of ${user} returned no token`);
  return data.token;
}

// ------------------------------------------------------------------ the test

async function main() {
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: apt-get install -y chromium (or set SUNLIGHT_CHROMIUM)`);
  const consoleDir = path.join(SRC, 'services', 'gateway', 'console');
  check(fs.existsSync(path.join(consoleDir, 'index.html')), `${consoleDir}/index.html is missing`);
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.rmSync(path.join(SHOTS, 'failure.png'), { force: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sunlight-console-'));
  step(`work directory ${tmp}`);

  // Chromium starts while the services do.
  const browserReady = chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] })
    .then((b) => { browser = b; return b; });
  browserReady.catch(() => {});

  // ---- 1. keys, certificates and users: each service its own principal key and certificate
  const services = ['intake', 'workflow', 'supervision', 'scoring', 'notify', 'video', 'gateway'];
  const keyDir = path.join(tmp, 'keys');
  const caDir = path.join(tmp, 'ca');
  execFileSync(path.join(SRC, 'tools', 'dev-keys'), [keyDir, ...services]);
  execFileSync(path.join(SRC, 'tools', 'dev-ca'), [caDir, ...services]);
  // (The gateway's password policy: 12 characters or more, none containing its user id.)
  const passwords = { admin: 'system-e2e-pass-1', insp: 'watchful-e2e-pass', clerk: 'window-e2e-pass-1', sec: 'accounts-e2e-pass' };
  const usersFile = path.join(tmp, 'users.jsonl');
  fs.writeFileSync(usersFile, [
    { user: { user_id: 'admin', name: 'Admin', role: 'administrator' }, password: passwords.admin },
    { user: { user_id: 'insp', name: 'Li Jing 李静', role: 'inspector' }, password: passwords.insp },
    { user: { user_id: 'clerk', name: 'Wang Fang 王芳', role: 'window_clerk', department_id: 'market' }, password: passwords.clerk },
    { user: { user_id: 'sec', name: 'Zhou Qiang 周强', role: 'security_administrator' }, password: passwords.sec },
  ].map((u) => JSON.stringify(u)).join('\n') + '\n');

  // ---- 2. the suite
  const common = (name) => ['--listen=127.0.0.1:0', '--metrics_listen=', `--data_dir=${path.join(tmp, name)}`,
    '--sync_writes=false', `--port_file=${path.join(tmp, name + '.port')}`, `--key_dir=${keyDir}`,
    `--tls_cert_file=${path.join(caDir, name + '.crt')}`, `--tls_key_file=${path.join(caDir, name + '.key')}`,
    `--tls_ca_file=${path.join(caDir, 'ca.crt')}`, `--tls_crl_dir=${path.join(caDir, 'crl')}`,
    ...(name === 'intake' ? [`--data_key_file=${path.join(keyDir, 'intake-data.key')}`] : []),
    ...(name === 'scoring' ? [`--data_key_file=${path.join(keyDir, 'scoring-data.key')}`] : []),
    ...(name === 'video' ? [`--data_key_file=${path.join(keyDir, 'video-data.key')}`] : []),
    ...(name === 'gateway' ? [`--token_key_file=${path.join(keyDir, 'gateway-token.key')}`,
      `--audit_key_file=${path.join(keyDir, 'gateway-audit.key')}`,
      `--http_tls_cert_file=${path.join(caDir, 'gateway.crt')}`,
      `--http_tls_key_file=${path.join(caDir, 'gateway.key')}`] : [])];
  const calendar = [`--calendar=${path.join(SRC, 'data', 'calendars', 'cn-mainland.json')}`,
    `--provisional_years=${new Date().getFullYear() + 1}`];
  const bin = (name) => path.join(BUILD, 'services', name, name);
  const portFile = (name) => path.join(tmp, name + '.port');

  const intake = await startService('intake', bin('intake'), [...common('intake'), ...calendar], portFile('intake'));
  const intakeAddr = `127.0.0.1:${intake.port}`;
  const workflow = await startService('workflow', bin('workflow'),
    [...common('workflow'), ...calendar, `--intake=${intakeAddr}`], portFile('workflow'));
  const workflowAddr = `127.0.0.1:${workflow.port}`;
  const supervisionArgs = [...calendar, `--intake=${intakeAddr}`, `--workflow=${workflowAddr}`,
    `--alert_file=${path.join(tmp, 'alerts.jsonl')}`];
  let supervision = await startService('supervision', bin('supervision'),
    [...common('supervision'), ...supervisionArgs], portFile('supervision'));
  const supervisionPort = supervision.port;
  const supervisionAddr = `127.0.0.1:${supervisionPort}`;
  // Scoring follows the three streams on time, as tools/run starts it.
  const scoringArgs = [...calendar, `--intake=${intakeAddr}`, `--workflow=${workflowAddr}`, `--supervision=${supervisionAddr}`];
  let scoring = await startService('scoring', bin('scoring'), [...common('scoring'), ...scoringArgs], portFile('scoring'));
  const scoringPort = scoring.port;
  const scoringAddr = `127.0.0.1:${scoringPort}`;
  // Notify follows supervision, with no channels: what it sends is a dead letter.
  const notify = await startService('notify', bin('notify'), [...common('notify'), `--supervision=${supervisionAddr}`,
    `--templates=${path.join(SRC, 'data', 'notify', 'templates.json')}`], portFile('notify'));
  // Video follows intake (the clips of cases accepted at a camera's window are held).
  const video = await startService('video', bin('video'), [...common('video'), ...calendar,
    `--intake=${intakeAddr}`], portFile('video'));
  const vendorDir = path.join(SRC, 'tools', 'console-vendor', 'node_modules', 'echarts', 'dist');
  check(fs.existsSync(path.join(vendorDir, 'echarts.min.js')), `${vendorDir}/echarts.min.js is missing: run ./tools/setup`);
  const httpPortFile = path.join(tmp, 'http.port');
  fs.rmSync(httpPortFile, { force: true });
  await startService('gateway', bin('gateway'), [...common('gateway'), '--http_listen=127.0.0.1:0',
    `--http_port_file=${httpPortFile}`, `--intake=${intakeAddr}`, `--workflow=${workflowAddr}`,
    `--supervision=${supervisionAddr}`, `--scoring=${scoringAddr}`, `--notify=127.0.0.1:${notify.port}`,
    `--video=127.0.0.1:${video.port}`, `--users_file=${usersFile}`,
    `--console_dir=${consoleDir}`, `--console_vendor_dir=${vendorDir}`], portFile('gateway'));
  const httpPort = await waitFor('the gateway HTTP port file', () => {
    const text = fs.existsSync(httpPortFile) ? fs.readFileSync(httpPortFile, 'utf8').trim() : '';
    return /^\d+$/.test(text) ? Number(text) : 0;
  }, 10_000, 50);
  // The console over HTTPS with the suite's development certificate. The test's own REST calls
  // and the browser accept it without the CA installed (Node's fetch has no per-call CA;
  // the C++ end-to-end test verifies the certificate against the CA).
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  httpBase = `https://127.0.0.1:${httpPort}`;
  step(`suite up: intake ${intake.port}, workflow ${workflow.port}, supervision ${supervisionPort}, scoring ${scoring.port}, gateway REST ${httpPort}`);

  // ---- 3. catalogue and a case, over REST
  const admin = await loginRest('admin', passwords.admin);
  const catalogue = JSON.parse(fs.readFileSync(path.join(SRC, 'deploy', 'demo', 'catalogue.json'), 'utf8'));
  for (const department of catalogue.departments || []) await rest('POST', '/v1/departments', { token: admin, body: { department } });
  for (const window of catalogue.windows || []) await rest('POST', '/v1/windows', { token: admin, body: { window } });
  for (const definition of catalogue.items || []) await rest('POST', '/v1/items', { token: admin, body: { definition } });
  step(`catalogue loaded: ${(catalogue.departments || []).length} departments, ${(catalogue.windows || []).length} windows, ${(catalogue.items || []).length} items`);
  // How market's head is reached (notify): told of every light of market.
  await rest('PUT', '/v1/contacts/market-head', { token: admin, body: { contact: {
    name: '刘洋', department_id: 'market', head: true, phone: '13900002222' } } });

  // A camera at W01 whose address answers nothing (its recorder reports it offline): the case
  // accepted there next gets its clip held all the same.
  await rest('PUT', '/v1/video/cameras/hall-w01', { token: admin, body: { camera: {
    name: '1 号窗口', rtsp_url: 'rtsp://127.0.0.1:1/none', window_id: 'W01', enabled: true } } });

  const clerk = await loginRest('clerk', passwords.clerk);
  const submitted = await rest('POST', '/v1/cases', {
    token: clerk, expect: [201], body: {
      idempotency_key: 'e2e-1', item_code: 'GT-001', subject: 'Li noodles',
      applicant: { kind: 'APPLICANT_KIND_PERSON', name: '李明', id_number: '110101199003071234', phone: '13812345678' },
      materials: [{ code: 'id-card', name: '身份证' }, { code: 'application-form', name: '申请书' }, { code: 'premises', name: '租赁合同' }],
    },
  });
  const caseId = submitted.case && submitted.case.case_id;
  const caseNumber = submitted.case && submitted.case.case_number;
  check(caseId && caseNumber, `POST /v1/cases returned no case id/number: ${JSON.stringify(submitted).slice(0, 300)}`);
  await rest('POST', `/v1/cases/${encodeURIComponent(caseId)}:accept`, { token: clerk, body: { window_id: 'W01' } });
  step(`case ${caseId} (${caseNumber}) submitted and accepted at W01`);

  // ---- 4. the case clock
  const insp = await loginRest('insp', passwords.insp);
  const caseClock = await waitFor('the case clock in supervision', async () => {
    const data = await rest('GET', `/v1/cases/${encodeURIComponent(caseId)}/clocks`, { token: insp, expect: [200, 404] });
    const found = (data.clocks || []).map((e) => e.clock || {}).find((c) => c.kind === 'CLOCK_KIND_CASE');
    return found && found.red_at ? found : null;
  }, 20_000, 200);
  const redAt = Date.parse(caseClock.red_at);
  check(!isNaN(redAt) && redAt > Date.now(), `unexpected red_at ${caseClock.red_at}`);
  step(`case clock ${caseClock.clock_id}: light ${caseClock.light}, yellow_at ${caseClock.yellow_at}, red_at ${caseClock.red_at}`);

  // ---- 5a. the browser: log in while the case is still green
  await browserReady;
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai', ignoreHTTPSErrors: true });
  const page = await context.newPage();
  currentPage = page;
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|net::ERR_ABORTED/.test(m.text())) pageErrors.push(`console error: ${m.text()}`);
  });
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });

  const consoleUrl = `${httpBase}/console/`;
  const response = await page.goto(consoleUrl, { waitUntil: 'domcontentloaded' });
  check(response && response.status() === 200, `GET /console/ answered ${response && response.status()}`);
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });
  // The console speaks Chinese by default; English is one click away (checked below).
  await page.fill('#login-user', 'insp');
  await page.fill('#login-password', passwords.insp);
  await page.click('#login-submit');
  await page.waitForSelector('#board-tiles [data-dept="market"]', { timeout: 15_000 });
  step('logged in as the inspector through the form; the board shows market');
  check(await page.evaluate(() => !!sessionStorage.getItem('sunlight.console.token')), 'the token is not in sessionStorage');
  await waitFor('the live stream to connect', () => page.$eval('#live', (el) => el.dataset.state === 'on'), 10_000);
  await page.evaluate(() => { window.__noReload = 42; });
  const marketCounts = () => page.$eval('#board-tiles [data-dept="market"]', (el) => ({
    green: Number(el.querySelector('[data-count="green"] .n').textContent),
    yellow: Number(el.querySelector('[data-count="yellow"] .n').textContent),
    red: Number(el.querySelector('[data-count="red"] .n').textContent),
    anomalies: Number(el.querySelector('[data-count="anomalies"] .n').textContent),
  }));
  step(`market on the board: ${JSON.stringify(await marketCounts())}`);

  // ---- 4b. supervision's clock to RED_MARGIN_S before the red instant
  const offset = Math.floor((redAt - Date.now()) / 1000) - RED_MARGIN_S;
  check(await stopChild(supervision.child), 'supervision did not stop on SIGTERM within 10 s');
  supervision = await startService('supervision', bin('supervision'), [
    '--listen=127.0.0.1:' + supervisionPort, ...common('supervision').slice(1), ...supervisionArgs, `--clock_offset=${offset}s`,
    // From now on it follows scoring's stream too (scoring's port is known only now), as
    // tools/run starts it: the clocks of complaints and rectifications.
    `--scoring=${scoringAddr}`,
  ], portFile('supervision'));
  check(supervision.port === supervisionPort, `supervision came back on port ${supervision.port}, not ${supervisionPort}`);
  const redInstantLocal = redAt - offset * 1000;  // supervision's clock runs offset ahead of real time
  step(`supervision restarted with --clock_offset=${offset}s: its clock is ~${RED_MARGIN_S} s before red (real time ${new Date(redInstantLocal).toISOString()})`);

  // ---- 5b. yellow, then red, live
  const yellow = await waitFor('market yellow >= 1 and red 0 on the board', async () => {
    const c = await marketCounts();
    return c.yellow >= 1 && c.red === 0 ? c : null;
  }, Math.max(5_000, redInstantLocal - Date.now() - 500), 200).catch(async (e) => {
    fail(`${e.message}; the board shows ${JSON.stringify(await marketCounts())}`);
  });
  step(`the board turned yellow without a reload: ${JSON.stringify(yellow)}`);
  // While the red instant approaches: a refusal at the window, which focused review flags as
  // an anomaly; its count on the board and its alert must arrive live too.
  const second = await rest('POST', '/v1/cases', {
    token: clerk, expect: [201], body: {
      idempotency_key: 'e2e-2', item_code: 'GT-001', subject: 'Zhang tea shop',
      applicant: { kind: 'APPLICANT_KIND_PERSON', name: '张伟', id_number: '110101198501011234', phone: '13900000000' },
      materials: [{ code: 'id-card', name: '身份证' }],
    },
  });
  const refusedId = second.case && second.case.case_id;
  await rest('POST', `/v1/cases/${encodeURIComponent(refusedId)}:refuse`, { token: clerk, body: { reason: '经营场所证明缺失 (e2e)' } });
  step(`case ${refusedId} refused at the window (an anomaly for focused review)`);
  const red = await waitFor('market red >= 1 on the board', async () => {
    const c = await marketCounts();
    return c.red >= 1 ? c : null;
  }, 40_000, 250).catch(async (e) => fail(`${e.message}; the board shows ${JSON.stringify(await marketCounts())}`));
  check(await page.evaluate(() => window.__noReload) === 42, 'the page was reloaded (window.__noReload is gone)');
  check(navigations === 1, `the page navigated ${navigations} times (expected 1: no reload)`);
  step(`the board turned red live, no reload: ${JSON.stringify(red)}; red came ${((Date.now() - redInstantLocal) / 1000).toFixed(1)} s after the red instant`);
  // The case's red alert arrives through the stream too (it was raised after the page loaded).
  await page.waitForSelector(`#latest-alerts .alert-item.live[data-case-id="${caseId}"][data-light="LIGHT_RED"]`, { timeout: 10_000 })
    .catch(() => fail('the red alert of the case did not arrive live in the latest-alerts panel'));
  step('the case\'s red alert arrived live in the latest-alerts panel');
  const anomalies = await waitFor('market anomalies >= 1 on the board', async () => (await marketCounts()).anomalies >= 1, 10_000)
    .then(() => marketCounts()).catch(async (e) => fail(`${e.message}; the board shows ${JSON.stringify(await marketCounts())}`));
  await page.waitForSelector(`#latest-alerts .alert-item.live[data-case-id="${refusedId}"][data-kind="ALERT_KIND_ANOMALY"]`, { timeout: 10_000 })
    .catch(() => fail('the refusal anomaly did not arrive live in the latest-alerts panel'));
  step(`the refusal anomaly arrived live: board ${JSON.stringify(anomalies)}, alert in the latest-alerts panel`);
  await sleep(1700);  // let the count's highlight fade
  await page.screenshot({ path: shot('board.png') });

  // ---- the alerts page: the list from GET /v1/alerts and the live ones
  await page.click('[data-nav="alerts"]');
  await page.waitForSelector(`#alert-list .alert-item[data-case-id="${caseId}"][data-light="LIGHT_RED"]`, { timeout: 10_000 });
  const alertCount = await page.$$eval('#alert-list .alert-item', (els) => els.length);
  step(`the alerts page lists ${alertCount} alerts, the case's red one among them`);
  await clearToasts(page);
  await page.screenshot({ path: shot('alerts.png') });
  await page.goBack();
  await page.waitForSelector('#board-tiles [data-dept="market"]', { timeout: 10_000 });

  // ---- 5c. the red list and the case page
  await page.click('#board-tiles [data-dept="market"] [data-count="red"]');
  await page.waitForSelector(`#cases-table tr[data-case-id="${caseId}"]`, { timeout: 10_000 });
  const listLight = await page.$eval('#cases-filters select[name="light"]', (s) => s.value);
  check(listLight === 'LIGHT_RED', `the list opened with light ${listLight}`);
  step('the red list of market shows the case');
  await page.screenshot({ path: shot('red-list.png') });
  await page.click(`#cases-table tr[data-case-id="${caseId}"] a.case-link`);
  await page.waitForSelector('#timeline li[data-type="intake.case.accepted"]', { timeout: 10_000 });
  const acceptedText = await page.$eval('#timeline li[data-type="intake.case.accepted"]', (el) => el.textContent);
  check(/受理/.test(acceptedText) && /王芳|clerk/.test(acceptedText), `the acceptance event does not say who: ${acceptedText}`);
  const headNumber = await page.$eval('#case-number', (el) => el.textContent.trim());
  check(headNumber === caseNumber, `case page shows ${headNumber}, expected ${caseNumber}`);
  const strip = await page.$eval('.clock-card[data-kind="CLOCK_KIND_CASE"]', (card) => ({
    light: card.dataset.light,
    days: card.querySelectorAll('.strip .day').length,
    counted: card.querySelectorAll('.strip .day.counted').length,
    markers: Array.from(card.querySelectorAll('.strip .marker')).map((m) => m.dataset.marks),
  }));
  check(strip.days >= 6 && strip.counted >= 5, `the calendar strip is not drawn: ${JSON.stringify(strip)}`);
  check(strip.markers.some((m) => /\bdue\b|\bred\b/.test(m)) && strip.markers.some((m) => /\byellow\b/.test(m)),
    `the strip lacks the due/red or yellow marker: ${JSON.stringify(strip.markers)}`);
  check(strip.light === 'LIGHT_RED', `the case clock shows ${strip.light}, expected LIGHT_RED`);
  step(`case page: acceptance event, case clock ${strip.light}, strip of ${strip.days} days (${strip.counted} counted), markers ${strip.markers.join(', ')}`);

  // An inspector is offered no case handling (accept, refuse, ...): only supervision.
  const buttons = await page.$$eval('#view button, #view input[type="submit"]', (els) => els.map((b) => b.textContent.trim() || b.value));
  const handling = buttons.filter((b) => /^(受理|不予受理|接收|拒绝)|accept case|refuse/i.test(b));
  check(handling.length === 0, `an inspector is offered case handling controls: ${handling.join(', ')}`);
  check(await page.$('#issue-notice') !== null, 'the inspector is not offered the supervision notice form');
  await clearToasts(page);
  await page.screenshot({ path: shot('case.png'), fullPage: true });

  // ---- 5d. a supervision notice from the case page
  await page.fill('#notice-reason', '案件已超期，请于两个工作日内说明理由并整改。(e2e)');
  await page.fill('#notice-amount', '2');
  await page.click('#notice-submit');
  const notice = await page.waitForSelector('#notices .notice[data-state="NOTICE_STATE_ISSUED"]', { timeout: 10_000 });
  const noticeId = await notice.getAttribute('data-notice-id');
  const noticeText = await notice.textContent();
  check(/已下达/.test(noticeText) && /e2e/.test(noticeText), `the notice card does not show its state and reason: ${noticeText}`);
  const afterButtons = await page.$$eval('#notices button', (els) => els.map((b) => b.textContent.trim()));
  check(afterButtons.length === 0, `an issued, unanswered notice offers decisions: ${afterButtons.join(', ')}`);
  const fromApi = await rest('GET', `/v1/notices/${encodeURIComponent(noticeId)}`, { token: insp });
  check(fromApi.notice && fromApi.notice.state === 'NOTICE_STATE_ISSUED' && fromApi.notice.case_id === caseId,
    `GET /v1/notices/${noticeId}: ${JSON.stringify(fromApi).slice(0, 300)}`);
  step(`supervision notice ${noticeId} issued from the case page; it shows as issued`);
  await clearToasts(page);
  await page.screenshot({ path: shot('notice.png'), fullPage: true });

  // ---- 5e. English, remembered
  await page.click('[data-lang="en"]');
  await waitFor('English labels', () => page.$eval('#case-clocks h2', (el) => el.textContent === 'Time limits and lights'), 5_000);
  check(await page.$eval('[data-nav="board"]', (el) => el.textContent.trim()) === 'Board', 'the navigation is not in English');
  check(await page.evaluate(() => localStorage.getItem('sunlight.console.lang')) === 'en', 'the language is not remembered');
  await clearToasts(page);
  await page.screenshot({ path: shot('case-en.png'), fullPage: true });
  step('the language switch turns every label English and is remembered in localStorage');

  // ---- 5f. search by case number, wall mode on a large screen
  // A reload: the language (localStorage) and the session (sessionStorage) survive it.
  await page.evaluate(() => { location.hash = '#/board'; });
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#board-tiles [data-dept="market"]', { timeout: 10_000 });
  check(await page.$eval('#board-tiles [data-dept="market"] [data-count="red"] .l', (el) => el.textContent) === 'Red',
    'English was not kept across a page load');
  await page.fill('#search-input', caseNumber);
  await page.press('#search-input', 'Enter');
  await page.waitForFunction((id) => location.hash === '#/case/' + encodeURIComponent(id), caseId, { timeout: 10_000 });
  await page.waitForSelector('#case-number', { timeout: 10_000 });
  step(`search by case number ${caseNumber} opens the case`);
  await page.setViewportSize({ width: 2560, height: 1440 });
  await page.evaluate(() => { location.hash = '#/board'; });
  await page.waitForSelector('#board-tiles [data-dept="market"]', { timeout: 10_000 });
  await page.click('#wall-toggle');
  await page.click('[data-lang="zh"]');
  await page.waitForSelector('body.wall', { timeout: 5_000 });
  await sleep(300);
  await page.screenshot({ path: shot('board-wall.png') });
  await page.click('#wall-toggle');
  await page.setViewportSize({ width: 1440, height: 900 });
  step('wall mode on a 2560×1440 screen');

  // ---- 5f2. monthly scores: the month of the case's red instant, open (computed live)
  // Scoring counts a red or yellow light in the month of its instant, and the refusal's
  // anomaly in the month supervision raised it: the ranking of that month has market with
  // the case behind its red deduction.
  const shanghaiDay = (msec) => new Date(msec + 8 * 3600_000).toISOString().slice(0, 10);
  const shanghaiMonth = (msec) => shanghaiDay(msec).slice(0, 7);
  const redMonth = shanghaiMonth(redAt);
  const sheet = await waitFor(`market's red deduction in scoring's ${redMonth} sheet`, async () => {
    const s = await rest('GET', `/v1/scores/${redMonth}?kind=SUBJECT_KIND_DEPARTMENT`, { token: insp });
    const market = (s.scores || []).find((x) => x.subject_id === 'market');
    return market && (market.lines || []).some((l) => (l.cases || []).some((c) => c.case_id === caseId && c.what === 'red')) ? s : null;
  }, 20_000, 500);
  const marketScore = sheet.scores.find((x) => x.subject_id === 'market');
  check(sheet.state === 'SHEET_STATE_OPEN', `the ${redMonth} sheet is ${sheet.state}, expected open`);
  await page.click('[data-nav="scores"]');
  await page.waitForSelector('#scores-sheet[data-state]', { timeout: 10_000 });
  const lastMonth = addMonths(shanghaiMonth(Date.now()), -1);
  const shownMonth = await page.$eval('#scores-month', (el) => el.value);
  check(shownMonth === lastMonth, `the scores page opened on ${shownMonth}, expected last month ${lastMonth}`);
  await page.evaluate((m) => { location.hash = `#/scores?month=${m}&kind=department`; }, redMonth);
  await page.waitForSelector('#scores-table tr[data-subject="market"]', { timeout: 10_000 });
  const rankRow = await page.$eval('#scores-table tr[data-subject="market"]', (tr) => Array.from(tr.cells, (td) => td.textContent.trim()));
  const expectPoints = (Number(marketScore.total_centipoints) / 100).toFixed(2);
  check(rankRow[0] === String(marketScore.rank) && rankRow[2] === expectPoints && /市场/.test(rankRow[1]),
    `market's ranking row ${JSON.stringify(rankRow)}, expected rank ${marketScore.rank} and ${expectPoints} points`);
  check(/未公布/.test(await page.$eval('#sheet-state', (el) => el.textContent)), 'the sheet\'s state is not shown as open');
  await page.click('#scores-table tr[data-subject="market"]');
  const redCase = `#score-detail .score-line li[data-case-id="${caseId}"][data-what="red"] a.case-link`;
  await page.waitForSelector(redCase, { timeout: 5_000 });
  const link = await page.$eval(redCase, (a) => ({ text: a.textContent.trim(), href: a.getAttribute('href'), line: a.closest('.score-line').dataset.clause }));
  check(link.text === caseNumber && link.href === '#/case/' + encodeURIComponent(caseId),
    `the drill-down's case link ${JSON.stringify(link)}`);
  check(/subject=market/.test(await page.evaluate(() => location.hash)), 'the drill-down is not kept in the hash');
  step(`scores ${redMonth} (open): market ranks ${marketScore.rank} with ${expectPoints} points; its line "${link.line}" lists case ${caseNumber}`);
  await clearToasts(page);
  await page.screenshot({ path: shot('scores.png'), fullPage: true });
  await page.click(redCase);
  await page.waitForSelector(`#case-head[data-case-id="${caseId}"]`, { timeout: 10_000 });
  await page.goBack();
  await page.waitForSelector(`#score-detail[data-subject="market"] li[data-case-id="${caseId}"]`, { timeout: 10_000 });
  step('the case link opens the case page; back returns to the drill-down');

  // Downloads: the streamed file through fetch, saved by the page (a Blob URL and <a download>).
  const download = async (button, box) => {
    const [d] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.click(button)]);
    const file = path.join(tmp, 'download-' + d.suggestedFilename());
    await d.saveAs(file);
    await page.waitForSelector(`${box}[data-state="done"]`, { timeout: 5_000 });
    return { name: d.suggestedFilename(), data: fs.readFileSync(file), status: await page.$eval(`${box} .export-status`, (el) => el.textContent) };
  };
  const csv = await download('#scores-export-csv', '#scores-export');
  const csvLines = csv.data.toString('utf8').replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);
  check(csv.name === 'scores.csv', `the CSV download is named ${csv.name}`);
  check(/^类别 kind,对象 subject,部门 department,名次 rank,得分 points/.test(csvLines[0]), `the CSV header: ${csvLines[0]}`);
  const csvRed = csvLines.find((l) => l.startsWith('DEPARTMENT,market,market,') && /红灯 red light/.test(l));
  check(csvRed, `no market red-light row in the CSV:\n  ${csvLines.slice(0, 8).join('\n  ')}`);
  check(/已下载 scores\.csv（\d+ 行/.test(csv.status), `the export's progress says: ${csv.status}`);
  const xlsx = await download('#scores-export-xlsx', '#scores-export');
  check(xlsx.name === 'scores.xlsx' && xlsx.data.subarray(0, 2).toString('latin1') === 'PK', `the Excel download ${xlsx.name} is not a zip`);
  const entries = zipEntries(xlsx.data);
  check(entries.has('xl/worksheets/sheet1.xml'), `the workbook holds ${Array.from(entries.keys()).join(', ')}`);
  const cells = entries.get('xl/worksheets/sheet1.xml')() + (entries.has('xl/sharedStrings.xml') ? entries.get('xl/sharedStrings.xml')() : '');
  check(/market/.test(cells) && /红灯 red light/.test(cells), 'the worksheet lacks market\'s red-light row');
  step(`exports: ${csv.name} (${csvLines.length - 1} rows, header and market's red row checked), ${xlsx.name} (${xlsx.data.length} bytes, zip with ${entries.size} parts, sheet1.xml checked)`);

  // ---- 5f3. statistics: ECharts loaded on demand, three charts, the table; redrawn in
  // English and on a resize; disposed when the page is left
  await page.click('[data-nav="statistics"]');
  const chartIds = ['chart-trend', 'chart-mom', 'chart-depts'];
  const chartsDrawn = (lang) => page.waitForFunction(([ids, l]) => ids.every((id) => {
    const el = document.getElementById(id);
    return el && el.dataset.lang === l && el.querySelector('canvas');
  }), [chartIds, lang], { timeout: 15_000 });
  await chartsDrawn('zh');
  check(await page.evaluate(() => typeof window.echarts === 'object' && typeof window.echarts.init === 'function'), 'window.echarts is not defined');
  check(await page.$$eval('script[src="echarts.min.js"]', (els) => els.length) === 1, 'echarts.min.js is not loaded once');
  await page.waitForSelector('#stats-table tr[data-value="market"]', { timeout: 5_000 });
  const statsRow = await page.$eval('#stats-table tr[data-value="market"]', (tr) => Array.from(tr.cells, (td) => td.textContent.trim()));
  check(Number(statsRow[3]) >= 1, `market's statistics row ${JSON.stringify(statsRow)} has no accepted case`);
  const trendWidth = () => page.$eval('#chart-trend canvas', (c) => c.getBoundingClientRect().width);
  const wide = await trendWidth();
  await page.click('[data-lang="en"]');
  await chartsDrawn('en');
  check(await page.$eval('#chart-mom', (el) => el.closest('section').querySelector('h2').textContent) === 'Accepted: this period against the previous one',
    'the statistics page is not in English');
  await page.setViewportSize({ width: 1000, height: 900 });
  await waitFor('the trend chart to follow the narrower window', async () => (await trendWidth()) < wide - 100, 5_000, 100);
  await page.setViewportSize({ width: 1440, height: 900 });
  await waitFor('the trend chart to follow the wider window', async () => Math.abs((await trendWidth()) - wide) < 2, 5_000, 100);
  await sleep(600);  // the charts' entry animation
  await clearToasts(page);
  await page.screenshot({ path: shot('statistics-en.png'), fullPage: true });
  const statsCsv = await download('#stats-export-csv', '#stats-export');
  const statsLines = statsCsv.data.toString('utf8').replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);
  check(/^分组 group,期间 period,收件 received,受理 accepted/.test(statsLines[0]) && statsLines.some((l) => l.startsWith('market,')),
    `the statistics CSV:\n  ${statsLines.slice(0, 4).join('\n  ')}`);
  const trendEl = await page.$('#chart-trend');
  check(await trendEl.evaluate((el) => !!window.echarts.getInstanceByDom(el)), 'the trend chart has no ECharts instance');
  await page.click('[data-nav="board"]');
  await page.waitForSelector('#board-tiles [data-dept="market"]', { timeout: 10_000 });
  check(await trendEl.evaluate((el) => !window.echarts.getInstanceByDom(el)), 'the charts were not disposed when the page was left');
  await page.click('[data-lang="zh"]');
  step(`statistics: ${chartIds.length} ECharts canvases (window.echarts loaded once), market's row ${statsRow.slice(0, 4).join(' | ')}, redrawn in English and on resize (${Math.round(wide)} px), CSV of ${statsLines.length - 1} rows, disposed on leaving`);

  // ---- 5f4. the public's voice: a complaint, a bad rating and its rectification; attendance
  const voiceClock = (kind, clockId) => waitFor(`supervision's clock ${clockId}`, async () => {
    for (const light of ['LIGHT_RED', 'LIGHT_YELLOW', 'LIGHT_GREEN']) {
      const d = await rest('GET', `/v1/clocks?light=${light}&kind=${kind}&page_size=500`, { token: insp });
      const c = (d.clocks || []).find((x) => x.clock_id === clockId);
      if (c) return c;
    }
    return null;
  }, 20_000, 300);
  // A voice clock starts with supervision's clock days ahead: its light may turn in the instant
  // after it is planned. The page's light is checked against supervision's as of now, the page
  // drawn again (the hash set away and back) while they differ.
  const sameLight = (kind, clockId, selector) => waitFor(`the light of ${clockId} on the page`, async () => {
    const c = await voiceClock(kind, clockId);
    const shown = await page.$eval(selector, (tr) => tr.dataset.light).catch(() => null);
    if (shown === c.light) return c;
    await page.evaluate(() => { const back = location.hash; location.hash = '#/board'; location.hash = back; });
    await page.waitForSelector(selector, { timeout: 10_000 });
    return null;
  }, 15_000, 500);
  const filed = await rest('POST', '/v1/public/complaints', { expect: [201], body: {
    case_number: caseNumber, query_code: submitted.case.query_code, category: 'COMPLAINT_CATEGORY_DELAY',
    description: '窗口说材料不全，让我跑了三次。(e2e complaint)', complainant_name: '李明', complainant_phone: '13812345678',
    request_id: 'e2e-complaint-1',
  } });
  const complaint = filed.complaint || {};
  check(/^T\d{8}-\d{6}$/.test(complaint.complaint_number || '') && complaint.complaint_id && /^[0-9A-Z]{10}$/.test(filed.query_code || ''),
    `POST /v1/public/complaints: ${JSON.stringify(filed).slice(0, 300)}`);
  check(complaint.department_id === 'market' && complaint.case_id === caseId, `the complaint is not against the case's department: ${JSON.stringify(complaint).slice(0, 300)}`);
  const acceptanceClock = await voiceClock('CLOCK_KIND_COMPLAINT_ACCEPTANCE', `complaint-acceptance/${complaint.complaint_id}`);
  step(`public complaint ${complaint.complaint_number} filed about case ${caseNumber}; its acceptance clock is ${acceptanceClock.light}`);

  await page.click('[data-nav="complaints"]');
  const complaintRow = `#complaints-table tr[data-complaint-id="${complaint.complaint_id}"]`;
  await page.waitForSelector(complaintRow, { timeout: 10_000 });
  const acceptanceNow = await sameLight('CLOCK_KIND_COMPLAINT_ACCEPTANCE', `complaint-acceptance/${complaint.complaint_id}`, complaintRow);
  const row = await page.$eval(complaintRow, (tr) => ({ light: tr.dataset.light, state: tr.dataset.state, text: tr.textContent,
    badge: (tr.querySelector('.light-badge') || {}).dataset }));
  check(row.badge && row.badge.light === acceptanceNow.light, `the complaint's row shows no ${acceptanceNow.light} badge: ${row.text}`);
  check(row.state === 'COMPLAINT_STATE_FILED' && /待受理/.test(row.text) && /办理拖延/.test(row.text) && row.text.includes(complaint.complaint_number) &&
    row.text.includes(caseNumber), `the complaint's row: ${row.text}`);
  check(!row.text.includes('13812345678') && !row.text.includes('李明'), `the complainant's contact is not masked: ${row.text}`);
  await page.click(`${complaintRow} td:nth-child(3)`);
  const detailIs = (state) => page.waitForSelector(`#complaint-detail[data-complaint-id="${complaint.complaint_id}"][data-state="${state}"]`, { timeout: 10_000 });
  await detailIs('COMPLAINT_STATE_FILED');
  check(await page.$('#complaint-conclude') === null && await page.$('#complaint-respond') === null, 'a filed complaint offers more than the acceptance');
  check(await page.$eval('#complaint-acceptance select[name="department_id"]', (el) => el.value) === 'market', 'the acceptance does not route to market by default');
  check(/\?.*id=/.test(await page.evaluate(() => location.hash)), 'the selected complaint is not kept in the hash');
  await page.fill('#complaint-acceptance textarea[name="reasons"]', '属于办理拖延，转市场监管局说明。(e2e)');
  await page.click('#complaint-acceptance button[data-decision="accept"]');
  await detailIs('COMPLAINT_STATE_ACCEPTED');
  const handlingClock = await voiceClock('CLOCK_KIND_COMPLAINT', `complaint/${complaint.complaint_id}`);
  step(`the inspector accepts ${complaint.complaint_number} on the complaints page; its handling clock is ${handlingClock.light}`);
  await clearToasts(page);
  await page.screenshot({ path: shot('complaints.png'), fullPage: true });
  await page.fill('#complaint-conclude textarea[name="reasons"]', '经核实，窗口未一次性告知，投诉成立。(e2e)');
  await page.click('#complaint-conclude button[data-outcome="valid"]');
  await page.waitForSelector(`#complaint-detail[data-state="COMPLAINT_STATE_CONCLUDED"][data-outcome="COMPLAINT_OUTCOME_VALID"] .complaint-outcome`, { timeout: 10_000 });
  const outcomeText = await page.$eval('#complaint-detail .complaint-outcome', (el) => el.textContent);
  check(/投诉成立/.test(outcomeText) && /e2e/.test(outcomeText), `the outcome block: ${outcomeText}`);
  const concluded = await rest('GET', `/v1/complaints/${complaint.complaint_id}`, { token: insp });
  check(concluded.state === 'COMPLAINT_STATE_CONCLUDED' && concluded.outcome === 'COMPLAINT_OUTCOME_VALID', `the complaint after concluding: ${JSON.stringify(concluded).slice(0, 300)}`);
  const followed = await rest('POST', '/v1/public/complaints:query', { body: { complaint_number: complaint.complaint_number, query_code: filed.query_code } });
  check(followed.state === 'COMPLAINT_STATE_CONCLUDED' && followed.outcome === 'COMPLAINT_OUTCOME_VALID' && !followed.concluded_by,
    `the complainant's view of the concluded complaint: ${JSON.stringify(followed).slice(0, 300)}`);
  await clearToasts(page);
  await page.screenshot({ path: shot('complaint-concluded.png'), fullPage: true });
  step(`the inspector concludes ${complaint.complaint_number} valid; the complainant's query shows the outcome`);

  // The refused case is a service that has ended: its applicant rates it, badly, with a real name.
  const refusedNumber = second.case.case_number;
  const rated = await waitFor('the rating of the refused case', async () => {
    const r = await rest('POST', '/v1/public/evaluations', { expect: [201, 400, 409], body: {
      case_number: refusedNumber, query_code: second.case.query_code, level: 'VERY_DISSATISFIED', real_name: true,
      aspects: { attitude: 'VERY_DISSATISFIED' }, comment: '材料一次没说清楚。(e2e rating)',
    } });
    return r.case_id ? r : null;
  }, 15_000, 500);
  check(rated.level === 'VERY_DISSATISFIED' && rated.rectification && rated.rectification.state === 'RECTIFICATION_STATE_OPEN',
    `the bad rating opened no rectification: ${JSON.stringify(rated).slice(0, 300)}`);
  const rectClock = await voiceClock('CLOCK_KIND_RECTIFICATION', `rectification/${refusedId}`);
  step(`case ${refusedNumber} rated 非常不满意 with a real name over REST; its rectification is due ${rated.rectification.due_at}, clock ${rectClock.light}`);
  await page.click('[data-nav="evaluations"]');
  await page.waitForSelector('#evals-results h2', { timeout: 10_000 });
  await page.click('#evals-filter [data-filter="rectification"]');
  const evalRow = `#evaluations-table tr[data-case-id="${refusedId}"][data-rectification="RECTIFICATION_STATE_OPEN"]`;
  await page.waitForSelector(evalRow, { timeout: 10_000 });
  const rectNow = await sameLight('CLOCK_KIND_RECTIFICATION', `rectification/${refusedId}`, evalRow);
  const erow = await page.$eval(evalRow, (tr) => ({ level: tr.dataset.level, light: tr.dataset.light, text: tr.textContent }));
  check(erow.level === 'VERY_DISSATISFIED' && /非常不满意/.test(erow.text) && /待整改/.test(erow.text) && erow.light === rectNow.light,
    `the rectification's row: ${JSON.stringify(erow)} (clock ${rectNow.light})`);
  await page.click(`${evalRow} td:nth-child(2)`);
  await page.waitForSelector(`#eval-detail[data-case-id="${refusedId}"] .rectification[data-state="RECTIFICATION_STATE_OPEN"]`, { timeout: 10_000 });
  check(await page.$('#rectification-form') === null && await page.$('#review-decide') === null, 'an inspector is offered the department\'s or a review\'s forms');
  // This month's results by window: the window's row counts the rating when scoring has one.
  const month = shanghaiMonth(Date.now());
  await page.evaluate(([m, id]) => { location.hash = `#/evaluations?month=${m}&kind=window&filter=rectification&case=${encodeURIComponent(id)}`; }, [month, refusedId]);
  const statsRows = (await rest('GET', `/v1/statistics?dimension=DIMENSION_WINDOW&period=PERIOD_MONTH&from_day=${month}-01&to_day=${month}-28`, { token: insp })).rows || [];
  const ratedRow = statsRows.find((r) => r.period === month && Number((r.measures || {}).very_dissatisfied) >= 1);
  if (ratedRow) {
    const sel = `#evals-table tr[data-value="${ratedRow.value || ''}"]`;
    await page.waitForSelector(sel, { timeout: 10_000 });
    const cells = await page.$eval(sel, (tr) => Array.from(tr.cells, (td) => td.textContent.trim()));
    check(Number(cells[1]) === Number(ratedRow.measures.evaluations) && Number(cells[6]) === Number(ratedRow.measures.very_dissatisfied),
      `the results row ${JSON.stringify(cells)} against ${JSON.stringify(ratedRow.measures)}`);
    step(`evaluations page: the rectification due with light ${erow.light}; window ${ratedRow.value || '(none)'} shows ${cells[1]} rating(s), satisfaction ${cells[7]}`);
  } else {
    await page.waitForSelector('#evals-results h2', { timeout: 10_000 });
    step(`evaluations page: the rectification due with light ${erow.light} (scoring reports no window row for the rating)`);
  }
  await page.waitForSelector(`#eval-detail[data-case-id="${refusedId}"]`, { timeout: 10_000 }).catch(() => {});
  await clearToasts(page);
  await page.screenshot({ path: shot('evaluations.png'), fullPage: true });

  // The board counts market's open complaints (none left) and rectifications (one) by light.
  const voiceOnBoard = () => page.$eval('#board-tiles [data-dept="market"]', (el) => Object.fromEntries(['complaints', 'rectifications'].map((v) =>
    [v, Object.fromEntries(Array.from(el.querySelectorAll(`[data-voice="${v}"] .vc`), (x) => [x.dataset.light, Number(x.textContent)]))])));
  const expected = { red: 0, yellow: 0, green: 0 };
  expected[{ LIGHT_RED: 'red', LIGHT_YELLOW: 'yellow', LIGHT_GREEN: 'green' }[(await voiceClock('CLOCK_KIND_RECTIFICATION', `rectification/${refusedId}`)).light]] = 1;
  let marketVoice = {};
  await waitFor('market\'s rectification and no open complaint in GET /v1/board', async () => {
    const board = await rest('GET', '/v1/board', { token: insp });
    marketVoice = (board.departments || []).find((d) => d.department_id === 'market') || {};
    return ['red', 'yellow', 'green'].every((l) => Number((marketVoice.rectifications || {})[l] || 0) === expected[l] &&
      Number((marketVoice.complaints || {})[l] || 0) === 0);
  }, 10_000, 300).catch((e) => fail(`${e.message}: market is ${JSON.stringify(marketVoice)} (expected ${JSON.stringify(expected)} rectifications)`));
  await page.click('[data-nav="board"]');
  let live = true;
  await waitFor('market\'s rectification on the board', async () => {
    const v = await voiceOnBoard();
    return ['red', 'yellow', 'green'].every((l) => v.rectifications[l] === expected[l] && v.complaints[l] === 0);
  }, 10_000, 250).catch(async () => {
    live = false;  // the stream's last board may predate the rating: a page load reads it afresh
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#board-tiles [data-dept="market"]', { timeout: 10_000 });
    await waitFor('market\'s rectification on the board after a reload', async () => {
      const v = await voiceOnBoard();
      return ['red', 'yellow', 'green'].every((l) => v.rectifications[l] === expected[l] && v.complaints[l] === 0);
    }, 10_000, 250).catch(async (e) => fail(`${e.message}; the tile shows ${JSON.stringify(await voiceOnBoard())}`));
  });
  await sleep(1700);
  await page.screenshot({ path: shot('board-voice.png') });
  step(`the board shows market's rectification (${JSON.stringify(expected)}) and no open complaint${live ? ', live' : ' (after a reload: the stream had not sent a new board)'}`);

  // Attendance: the clerk's post from the first of the month, and a missed punch asked for.
  await rest('PUT', '/v1/staff-assignments/clerk', { token: admin, body: { assignment: {
    person_id: 'clerk', name: 'Wang Fang 王芳', department_id: 'market', window_id: 'W01',
    hours: [{ start: '09:00', end: '12:00' }, { start: '13:30', end: '17:30' }], effective_from: `${month}-01`,
  } } });
  const correction = await rest('POST', '/v1/attendance-corrections', { token: clerk, expect: [200, 201], body: {
    // An hour ago, but today (the post starts on the first of the month).
    at: new Date(Math.max(Date.now() - 3600_000, Date.parse(shanghaiDay(Date.now()) + 'T00:00:00+08:00'))).toISOString(),
    kind: 'PUNCH_KIND_IN', reasons: '指纹机未识别。(e2e)',
  } });
  check(/^k\d+$/.test(correction.correction_id || '') && correction.state === 'CORRECTION_STATE_FILED', `the correction: ${JSON.stringify(correction).slice(0, 300)}`);
  await page.click('[data-nav="attendance"]');
  await page.waitForSelector('#attendance-table tr[data-person="clerk"]', { timeout: 10_000 });
  const sheetRow = await page.$eval('#attendance-table tr[data-person="clerk"]', (tr) => Array.from(tr.cells, (td) => td.textContent.trim()));
  check(/王芳/.test(sheetRow[0]) && /市场/.test(sheetRow[1]), `the clerk's sheet row: ${JSON.stringify(sheetRow)}`);
  await page.click('#attendance-table tr[data-person="clerk"]');
  await page.waitForSelector('#attendance-days[data-person="clerk"] #attendance-days-table tr.day-row', { timeout: 10_000 });
  const dayRows = await page.$$eval('#attendance-days-table tr.day-row', (els) => els.map((tr) => tr.dataset.marks));
  const sheetApi = await rest('GET', `/v1/attendance/${month}/clerk`, { token: insp });
  check(dayRows.length === (sheetApi.days || []).length && dayRows.filter((m) => /\babsent\b/.test(m)).length === Number(sheetApi.days_absent || 0),
    `the days shown ${JSON.stringify(dayRows)} against the sheet (${(sheetApi.days || []).length} days, ${sheetApi.days_absent || 0} absent)`);
  await page.waitForSelector(`#corrections-list [data-correction-id="${correction.correction_id}"]`, { timeout: 10_000 });
  check(await page.$('#corrections-list .decide-form') === null, 'an inspector is offered the leader\'s decision on a correction');
  await clearToasts(page);
  await page.screenshot({ path: shot('attendance.png'), fullPage: true });
  step(`attendance page: the clerk's sheet (${sheetRow.slice(3, 9).join('/')}), ${dayRows.length} days (${Number(sheetApi.days_absent || 0)} absent), correction ${correction.correction_id} pending for the leader`);

  // ---- 5f2. video: the camera with its recorder's state, the case's clip held
  const held = await waitFor('the case clip\'s hold', async () => {
    const holds = await rest('GET', `/v1/video/holds?case_id=${encodeURIComponent(caseId)}`, { token: insp });
    return (holds.holds || []).find((x) => x.camera_id === 'hall-w01');
  }, 15_000);
  await page.evaluate(() => { location.hash = '#/video'; });
  await page.waitForFunction(() => {
    const cams = document.querySelector('#video-cameras');
    return cams && cams.textContent.includes('hall-w01') && cams.querySelector('.state-chip');
  }, null, { timeout: 15_000 });
  await page.waitForFunction((n) => {
    const holds = document.querySelector('#video-holds');
    return holds && holds.textContent.includes(n);
  }, caseNumber, { timeout: 15_000 });
  step(`video page: camera hall-w01 with its state, hold ${held.hold_id} of case ${caseNumber} listed`);

  // ---- 5g. logout
  const browserToken = await page.evaluate(() => sessionStorage.getItem('sunlight.console.token'));
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });
  check(await page.evaluate(() => sessionStorage.getItem('sunlight.console.token')) === null, 'the token survived logout');
  check(await page.$('#board-tiles') === null, 'the board is still shown after logout');
  await rest('GET', '/v1/me', { token: browserToken, expect: [401] });  // the session is over
  await rest('GET', '/v1/me', { token: insp });  // the test's own session is unaffected
  step('logged out: the login form is back');
  await page.screenshot({ path: shot('login.png') });

  // ---- 5h. the department answers the notice, the inspector accepts the answer
  const loginForm = async (user, password) => {
    await page.fill('#login-user', user);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    await page.waitForSelector('#board-tiles .tile', { timeout: 15_000 });
  };
  const openCase = async () => {
    await page.fill('#search-input', caseNumber);
    await page.press('#search-input', 'Enter');
    await page.waitForSelector(`#case-head[data-case-id="${caseId}"]`, { timeout: 10_000 });
    await page.waitForSelector(`#notices .notice[data-notice-id="${noticeId}"]`, { timeout: 10_000 });
  };
  await loginForm('clerk', passwords.clerk);
  const clerkTiles = await page.$$eval('#board-tiles .tile', (els) => els.map((el) => el.dataset.dept));
  check(clerkTiles.length === 1 && clerkTiles[0] === 'market', `a market clerk sees the board tiles ${clerkTiles.join(', ')}`);
  await openCase();
  check(await page.$('#issue-notice') === null, 'a clerk is offered the notice form');
  await page.fill(`#notices .notice[data-notice-id="${noticeId}"] .respond-form textarea`, '材料已补齐，今日办结。(e2e answer)');
  await page.click(`#notices .notice[data-notice-id="${noticeId}"] .respond-form button[type="submit"]`);
  await page.waitForSelector(`#notices .notice[data-notice-id="${noticeId}"][data-state="NOTICE_STATE_ANSWERED"]`, { timeout: 10_000 });
  step(`a market clerk sees only market on the board and answers notice ${noticeId} on the case page`);
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });

  await loginForm('insp', passwords.insp);
  await openCase();
  const decide = `#notices .notice[data-notice-id="${noticeId}"] .decide-form`;
  await page.fill(`${decide} textarea`, '理由成立，予以采纳。(e2e)');
  await page.click(`${decide} button[data-decision="accept"]`);
  await page.waitForSelector(`#notices .notice[data-notice-id="${noticeId}"][data-state="NOTICE_STATE_ACCEPTED"]`, { timeout: 10_000 });
  const decided = await rest('GET', `/v1/notices/${encodeURIComponent(noticeId)}`, { token: insp });
  check(decided.notice.state === 'NOTICE_STATE_ACCEPTED' && /e2e answer/.test(decided.notice.response || ''),
    `the notice after answer and decision: ${JSON.stringify(decided).slice(0, 300)}`);
  step(`the inspector follows the answer and accepts it: notice ${noticeId} is accepted`);
  await clearToasts(page);
  await page.screenshot({ path: shot('notice-accepted.png'), fullPage: true });
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });

  // ---- 5i. an administrator: the same views, read-only
  await loginForm('admin', passwords.admin);
  check(await page.$('#view .note') !== null, 'the administrator is not told the views are read-only');
  await openCase();
  check(await page.$('#issue-notice') === null && await page.$('.decide-form') === null, 'an administrator is offered supervision actions');
  // The system administrator publishes last month (ended, never published): version 1.
  const ended = addMonths(shanghaiMonth(Date.now()), -1);
  await page.evaluate((m) => { location.hash = `#/scores?month=${m}`; }, ended);
  await page.waitForSelector('#scores-publish', { timeout: 10_000 });
  await page.click('#scores-publish');
  await page.waitForSelector('#scores-sheet[data-state="SHEET_STATE_PUBLISHED"][data-version="1"]', { timeout: 10_000 });
  await page.waitForSelector('#recompute-form', { timeout: 5_000 });
  check(await page.$('#scores-publish') === null, 'a published month still offers Publish');
  const versionsAfter = await rest('GET', `/v1/scores/${ended}/versions`, { token: insp });
  check((versionsAfter.versions || []).length === 1 && versionsAfter.versions[0].state === 'SHEET_STATE_PUBLISHED',
    `the versions of ${ended} after publishing: ${JSON.stringify(versionsAfter).slice(0, 300)}`);
  await clearToasts(page);
  await page.screenshot({ path: shot('scores-published.png'), fullPage: true });
  step(`an administrator sees the board and the case read-only, and publishes ${ended} from the scores page (version 1)`);
  // The notifications page: the case's red light told to market's head, a dead letter with
  // its reason (no text-message channel here), the number masked; resent, it is tried again.
  const deadLetter = await waitFor('the red light\'s dead letter for market-head', async () => {
    const data = await rest('GET', '/v1/notifications?state=STATE_DEAD&limit=500', { token: insp });
    return (data.notifications || []).find((n) => n.recipient === 'market-head' && n.case_id === caseId && n.kind === 'light.red');
  }, 30_000, 500);
  check(deadLetter.to === '139****2222' && deadLetter.dead_reason === 'no CHANNEL_SMS channel is configured',
    `the dead letter: ${JSON.stringify(deadLetter).slice(0, 400)}`);
  await page.click('[data-nav="notifications"]');
  await page.waitForSelector('#notify-totals #notify-dead', { timeout: 10_000 });
  await page.click('#notify-states [data-state="STATE_DEAD"]');
  const deadRow = `#notify-table tr[data-key="${deadLetter.key}"]`;
  await page.waitForSelector(deadRow, { timeout: 10_000 });
  check(/no CHANNEL_SMS channel is configured/.test(await page.$eval(deadRow, (tr) => tr.textContent)), 'the dead letter\'s row shows no reason');
  await page.click(deadRow);
  await page.waitForSelector(`#notify-detail[data-key="${deadLetter.key}"] #notify-dead-reason`, { timeout: 10_000 });
  await page.waitForSelector('#notify-detail #notify-attempts tbody tr', { timeout: 5_000 });
  await page.click('#notify-resend button[type="submit"]');
  const resent = await waitFor('the resent notification to be tried again', async () => {
    const data = await rest('GET', `/v1/notifications/${encodeURIComponent(deadLetter.key)}`, { token: insp });
    return (data.attempts || []).length >= 2 ? data : null;
  }, 15_000, 300);
  check(resent.notification.to === '139****2222', `the resent notification: ${JSON.stringify(resent).slice(0, 300)}`);
  await page.click('#notify-tabs [data-tab="contacts"]');
  const contactRow = '#contacts-table tr[data-person="market-head"]';
  await page.waitForSelector(contactRow, { timeout: 10_000 });
  const contactText = await page.$eval(contactRow, (tr) => tr.textContent);
  check(/139\*{4}2222/.test(contactText) && !/13900002222/.test(contactText), `market-head's contact row: ${contactText}`);
  check(await page.$(`${contactRow} [data-edit]`) !== null, 'the administrator is offered no edit of a contact');
  await clearToasts(page);
  await page.screenshot({ path: shot('notifications.png'), fullPage: true });
  step(`notifications page: dead letter ${deadLetter.key} (${deadLetter.dead_reason}) resent and tried again; market-head's phone shown masked`);
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });

  // ---- 5i2. an appeal against a deduction, upheld, and the draft it makes approved
  // The month just published has no cases; the red case's deduction is in redMonth (the month
  // of the red instant on supervision's shifted clock), which has not ended. So scoring
  // is restarted (same port and data) with --clock_offset putting its clock at 10:00 on the
  // first of the month after it: the month has ended for scoring, the administrator publishes it
  // (over REST: the page offers Publish only for a month ended by the browser's clock), and the
  // appeal is filed right after publication, well within the 5 working days. Everything else
  // keeps its clock; the rest of the test does not depend on scoring's.
  const appealMonth = redMonth;
  const scoringAt = Date.parse(`${addMonths(appealMonth, 1)}-01T10:00:00+08:00`);
  const scoringOffset = Math.ceil((scoringAt - Date.now()) / 1000);
  check(await stopChild(scoring.child), 'scoring did not stop on SIGTERM within 10 s');
  scoring = await startService('scoring', bin('scoring'), ['--listen=127.0.0.1:' + scoringPort, ...common('scoring').slice(1),
    ...scoringArgs, `--clock_offset=${scoringOffset}s`], portFile('scoring'));
  check(scoring.port === scoringPort, `scoring came back on port ${scoring.port}, not ${scoringPort}`);
  const redLineOf = (s) => {
    const market = (s.scores || []).find((x) => x.kind === 'SUBJECT_KIND_DEPARTMENT' && x.subject_id === 'market');
    const line = market && (market.lines || []).find((l) => (l.cases || []).some((c) => c.case_id === caseId && c.what === 'red'));
    return line ? { market, line, ref: line.cases.find((c) => c.case_id === caseId && c.what === 'red') } : null;
  };
  // The gateway's channel to scoring reconnects; the sheet still has the red deduction.
  await waitFor(`scoring back with market's red deduction in ${appealMonth}`, async () => {
    const s = await rest('GET', `/v1/scores/${appealMonth}?kind=SUBJECT_KIND_DEPARTMENT`, { token: insp, expect: [200, 502, 503, 504] });
    return s.state === 'SHEET_STATE_OPEN' && redLineOf(s);
  }, 15_000, 300);
  const publishedV1 = await rest('POST', `/v1/scores/${appealMonth}:publish`, { token: admin });
  const v1 = redLineOf(publishedV1);
  check(publishedV1.state === 'SHEET_STATE_PUBLISHED' && Number(publishedV1.version) === 1 && v1 && Number(v1.line.centipoints) < 0 && !v1.ref.appealed_away,
    `${appealMonth} published without market's red deduction of ${caseId}: ${JSON.stringify(v1 || publishedV1).slice(0, 400)}`);
  const clause = v1.line.clause;
  step(`scoring restarted with --clock_offset=${scoringOffset}s (its clock at ${new Date(scoringAt).toISOString()}); ${appealMonth} published over REST (version 1): market's "${clause}" ${(Number(v1.line.centipoints) / 100).toFixed(2)} lists case ${caseNumber}`);

  const scoresOf = async (subject) => {
    await page.evaluate(([m, s]) => { location.hash = `#/scores?month=${m}&kind=department&subject=${s}`; }, [appealMonth, subject]);
    await page.waitForSelector(`#score-detail[data-subject="${subject}"]`, { timeout: 10_000 });
    await page.waitForSelector('#scores-appeals h2', { timeout: 10_000 });
  };
  const redItem = `#score-detail .score-line[data-clause="${clause}"] li[data-case-id="${caseId}"][data-what="red"]`;

  // The market clerk (staff of market) appeals the deduction from the page.
  await loginForm('clerk', passwords.clerk);
  await scoresOf('market');
  await page.waitForSelector(`#scores-sheet[data-state="SHEET_STATE_PUBLISHED"][data-version="1"]`, { timeout: 10_000 });
  check(await page.$('#scores-actions:not([hidden])') === null, 'the clerk is offered the administrator\'s actions');
  await page.click(`${redItem} .appeal-open`);
  await page.waitForSelector(`${redItem} .appeal-form textarea[name="reasons"]`, { timeout: 5_000 });
  const appealReasons = '该案因申请人补正材料顺延，红灯系系统未计补正期所致。(e2e appeal)';
  await page.fill(`${redItem} .appeal-form textarea[name="reasons"]`, appealReasons);
  await page.click(`${redItem} .appeal-form button[type="submit"]`);
  const filedCard = await page.waitForSelector('#appeals-list .appeal[data-state="APPEAL_STATE_FILED"]', { timeout: 10_000 });
  const appealId = await filedCard.getAttribute('data-appeal-id');
  const filedText = await filedCard.textContent();
  check(/待处理/.test(filedText) && filedText.includes(appealReasons) && filedText.includes(caseNumber) && filedText.includes(clause),
    `the filed appeal's card: ${filedText}`);
  check(await filedCard.$('.decide-form') === null, 'the clerk is offered the decision on the appeal');
  const appealsApi = await rest('GET', `/v1/appeals?month=${appealMonth}`, { token: insp });
  const appealApi = (appealsApi.appeals || []).find((a) => a.appeal_id === appealId);
  check(appealApi && appealApi.state === 'APPEAL_STATE_FILED' && appealApi.case_id === caseId && appealApi.clause === clause &&
    appealApi.subject_id === 'market' && (appealApi.filed_by || {}).id === 'clerk' && Number(appealApi.version) === 1,
    `GET /v1/appeals: ${JSON.stringify(appealsApi).slice(0, 400)}`);
  await clearToasts(page);
  await page.screenshot({ path: shot('appeal-filed.png'), fullPage: true });
  step(`the market clerk appeals the red deduction of ${caseNumber} on the scores page: appeal ${appealId} filed`);
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });

  // The inspector upholds it: a draft (version 2) without the deduction.
  await loginForm('insp', passwords.insp);
  await scoresOf('market');
  const card = `#appeals-list .appeal[data-appeal-id="${appealId}"]`;
  await page.waitForSelector(`${card}[data-state="APPEAL_STATE_FILED"] .decide-form`, { timeout: 10_000 });
  await page.fill(`${card} .decide-form textarea[name="decision"]`, '经核实，补正期间不应计时，申诉成立。(e2e)');
  await page.click(`${card} .decide-form button[data-decision="uphold"]`);
  await page.waitForSelector(`${card}[data-state="APPEAL_STATE_UPHELD"]`, { timeout: 10_000 });
  const upheldText = await page.$eval(card, (el) => el.textContent);
  check(/成立/.test(upheldText) && /申诉成立/.test(upheldText) && /第 2 版草稿/.test(upheldText) && await page.$(`${card} .decide-form`) === null,
    `the upheld appeal's card: ${upheldText}`);
  await page.waitForSelector('#versions-list li[data-version="2"][data-state="SHEET_STATE_DRAFT"]', { timeout: 5_000 });
  check(await page.$('#scores-sheet[data-state="SHEET_STATE_PUBLISHED"][data-version="1"]') !== null, 'the draft is shown as the version in force');
  const draftVersions = await rest('GET', `/v1/scores/${appealMonth}/versions`, { token: insp });
  const states = (draftVersions.versions || []).map((v) => `${Number(v.version)}:${v.state}`);
  check(states.join(',') === '1:SHEET_STATE_PUBLISHED,2:SHEET_STATE_DRAFT', `the versions of ${appealMonth} after upholding: ${states.join(', ')}`);
  const upheldApi = ((await rest('GET', `/v1/appeals?month=${appealMonth}`, { token: insp })).appeals || []).find((a) => a.appeal_id === appealId);
  check(upheldApi && upheldApi.state === 'APPEAL_STATE_UPHELD' && Number(upheldApi.new_version) === 2, `the appeal after upholding: ${JSON.stringify(upheldApi)}`);
  await clearToasts(page);
  await page.screenshot({ path: shot('appeal-upheld.png'), fullPage: true });
  step(`the inspector upholds ${appealId} on the scores page: draft version 2 (versions ${states.join(', ')})`);
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });

  // The administrator approves the draft: version 2 in force, the case's deduction struck.
  await loginForm('admin', passwords.admin);
  await scoresOf('market');
  const draft = '#scores-actions .draft[data-version="2"]';
  await page.waitForSelector(`${draft} button[data-decision="approve"]`, { timeout: 10_000 });
  const diffText = await page.$eval(draft, (el) => el.textContent);
  check(diffText.includes(`${clause}: ${v1.line.centipoints} -> `), `the draft's diff does not show "${clause}" changing: ${diffText}`);
  await page.click(`${draft} button[data-decision="approve"]`);
  await page.waitForSelector('#scores-sheet[data-state="SHEET_STATE_PUBLISHED"][data-version="2"]', { timeout: 10_000 });
  await page.waitForSelector(`${redItem}.appealed s a.case-link`, { timeout: 10_000 });
  const struck = await page.$eval(redItem, (li) => ({ text: li.textContent, button: !!li.querySelector('.appeal-open') }));
  check(/申诉成立，不扣分/.test(struck.text) && !struck.button, `the appealed case's line: ${JSON.stringify(struck)}`);
  check(await page.$(draft) === null && await page.$('#versions-list li[data-version="1"][data-state="SHEET_STATE_SUPERSEDED"]') !== null,
    'after approval the draft is still offered or version 1 is not superseded');
  const inForce = await rest('GET', `/v1/scores/${appealMonth}?kind=SUBJECT_KIND_DEPARTMENT`, { token: insp });
  const v2 = redLineOf(inForce);
  check(Number(inForce.version) === 2 && inForce.state === 'SHEET_STATE_PUBLISHED' && v2 && v2.ref.appealed_away === true &&
    // (proto3 JSON leaves a zero out: the line's points are absent once its only case is struck)
    Number(v2.line.centipoints || 0) > Number(v1.line.centipoints) && Number(v2.market.total_centipoints || 0) > Number(v1.market.total_centipoints || 0),
    `GET /v1/scores/${appealMonth} after approval: version ${inForce.version} ${inForce.state}, ${JSON.stringify(v2 || {}).slice(0, 400)}`);
  await clearToasts(page);
  await page.screenshot({ path: shot('draft-approved.png'), fullPage: true });
  step(`the administrator approves draft 2: version 2 in force, market ${(Number(v1.market.total_centipoints || 0) / 100).toFixed(2)} → ${(Number(v2.market.total_centipoints || 0) / 100).toFixed(2)}, case ${caseNumber} struck (appealed away)`);
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });

  // ---- 5j. a new account changes its password at first login, then from the top bar
  const sec = await loginRest('sec', passwords.sec);
  const desk = 'given-at-the-desk-7';
  const created = await rest('POST', '/v1/users', { token: sec, body: {
    user: { user_id: 'insp2', name: 'Zhao Min 赵敏', role: 'inspector' }, password: desk } });
  check(created.must_change_password === true, `a created user need not change the password: ${JSON.stringify(created)}`);
  let changeRequests = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/v1/me:change-password') changeRequests++; });
  const passwordError = (pattern, what) => waitFor(what, async () => {
    const box = await page.$('#password-error');
    return box && await box.isVisible() && pattern.test(await box.textContent());
  }, 10_000, 100).catch(async (e) => fail(`${e.message}; the form says: ${await page.$eval('#password-error', (el) => el.textContent)}`));
  const fillPassword = async (old, fresh, repeat) => {
    await page.fill('#password-old', old);
    await page.fill('#password-new', fresh);
    await page.fill('#password-repeat', repeat === undefined ? fresh : repeat);
    await page.click('#password-submit');
  };
  await page.fill('#login-user', 'insp2');
  await page.fill('#login-password', desk);
  await page.click('#login-submit');
  await page.waitForSelector('#password-form', { state: 'visible', timeout: 15_000 });
  check(await page.isHidden('#app-view') && await page.isHidden('[data-nav="board"]') && await page.isHidden('#logout'),
    'a user who must change the password sees the app or its top bar');
  check(await page.isVisible('#password-forced'), 'the form does not say why the password must change');
  check(await page.$eval('#password-cancel', (el) => el.textContent.trim()) === '退出', 'the forced form offers no way to log out');
  check(await page.$eval('#password-user', (el) => el.value) === 'insp2', 'the form does not name the user');
  const forcedToken = await page.evaluate(() => sessionStorage.getItem('sunlight.console.token'));
  const refused = await rest('GET', '/v1/departments', { token: forcedToken, expect: [403] });
  check(/change your password first/.test(refused.error && refused.error.message), `the gateway's refusal: ${JSON.stringify(refused)}`);
  step('insp2, created by the security administrator, logs in and gets the password form, not the app (the gateway answers 403 elsewhere)');

  await fillPassword(desk, 'a-fine-new-e2e-pass', 'a-fine-new-e2e-pasS');
  await passwordError(/两次输入的新密码不一致/, 'the mismatch error');
  check(changeRequests === 0, `a mismatch was sent to the gateway (${changeRequests} requests)`);
  check(await page.$eval('#password-repeat', (el) => el.getAttribute('aria-invalid')) === 'true', 'the repeat field is not marked');
  await fillPassword(desk, 'short-e2e');
  await passwordError(/至少需要 12 个字符/, 'the too-short error in Chinese');
  check(changeRequests === 1, `the too-short password made ${changeRequests} requests, expected 1`);
  check(await page.$eval('#password-new', (el) => el.getAttribute('aria-invalid')) === 'true', 'the new password field is not marked');
  await page.screenshot({ path: shot('password-forced.png') });
  await page.click('[data-lang="en"]');
  await passwordError(/needs at least 12 characters/, 'the too-short error in English after the switch');
  await fillPassword(desk, 'insp2-chose-this-one');
  await passwordError(/must not contain your user ID/, 'the user-id error in English');
  await page.click('[data-lang="zh"]');
  await passwordError(/不能包含用户名/, 'the user-id error in Chinese after the switch');
  step('in the form: the mismatch caught in the browser, the gateway\'s "at least 12 characters" and "must not contain the user id" shown in Chinese and English');
  // A reload keeps the session and the form.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#password-form', { state: 'visible', timeout: 10_000 });
  check(await page.isHidden('#app-view'), 'after a reload the app is shown before the password change');
  const own = 'zhao-min-e2e-secret-1';
  await fillPassword(desk, own);
  await page.waitForSelector('#board-tiles [data-dept="market"]', { timeout: 15_000 });
  check(await page.evaluate(() => sessionStorage.getItem('sunlight.console.token')) === forcedToken, 'the change did not keep the session');
  await rest('GET', '/v1/departments', { token: forcedToken });  // the token now reaches the rest
  step('a good password: into the app with the same session');

  // The top bar's button: cancel returns to the app; a wrong current password, then a change.
  const otherSession = await loginRest('insp2', own);
  await page.click('#change-password');
  await page.waitForSelector('#password-form', { state: 'visible', timeout: 5_000 });
  check(await page.isHidden('#app-view') && await page.isVisible('#logout'), 'the top bar\'s form hides the app or the top bar');
  check(await page.isHidden('#password-forced'), 'the top bar\'s form says the password must change');
  await clearToasts(page);
  await page.screenshot({ path: shot('password-topbar.png') });
  await page.click('#password-cancel');
  await page.waitForSelector('#board-tiles [data-dept="market"]', { state: 'visible', timeout: 5_000 });
  check(await page.isHidden('#password-form'), 'cancel left the form shown');
  await page.click('#change-password');
  const changesBefore = changeRequests;
  await fillPassword('not-my-password-at-all', 'zhao-min-e2e-secret-2');
  await passwordError(/当前密码不正确/, 'the wrong current password error');
  check(await page.$eval('#password-old', (el) => el.getAttribute('aria-invalid')) === 'true', 'the current password field is not marked');
  await sleep(1200);  // a wrong current password delays the next try by 1 s, as a login's would
  const newer = 'zhao-min-e2e-secret-2';
  await fillPassword(own, newer);
  await page.waitForSelector('#board-tiles [data-dept="market"]', { state: 'visible', timeout: 10_000 });
  check(changeRequests === changesBefore + 2, `the top bar's change made ${changeRequests - changesBefore} requests, expected 2`);
  await page.waitForSelector('#toasts .toast', { timeout: 5_000 });
  await rest('GET', '/v1/me', { token: forcedToken });             // this session goes on,
  await rest('GET', '/v1/me', { token: otherSession, expect: [401] });  // the others end
  await rest('POST', '/v1/login', { body: { user_id: 'insp2', password: own }, expect: [401] });
  step('the top bar\'s button: cancel returns to the board; a wrong current password is refused; the change ends the other sessions');
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });
  await sleep(1200);  // (the failed login with the old password just above delays the next)
  await loginForm('insp2', newer);
  check(await page.isHidden('#password-form'), 'the password form came back after the change');
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 });
  step('insp2 logs in with the new password straight into the app');

  check(pageErrors.length === 0, `the page logged errors:\n  ${pageErrors.join('\n  ')}`);
  await context.close();
}

// The parts of a zip (an .xlsx) from its central directory: name -> () => the part's text.
function zipEntries(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  check(eocd >= 0, 'no end of central directory in the zip');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = new Map();
  for (let n = 0; n < count; n++) {
    check(buf.readUInt32LE(at) === 0x02014b50, `bad central directory entry at ${at}`);
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    out.set(name, () => {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + size);
      return (method === 8 ? zlib.inflateRawSync(data) : data).toString('utf8');
    });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function addMonths(month, n) {
  const [y, m] = month.split('-').map(Number);
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

// Transient notifications would sit in the middle of full-page screenshots.
async function clearToasts(page) {
  await page.evaluate(() => {
    document.querySelectorAll('#toasts .toast').forEach((el) => el.remove());
    window.scrollTo(0, 0);  // the sticky top bar belongs at the top of a full-page shot
  });
}

function shot(name) {
  const p = path.join(SHOTS, name);
  screenshots.push(p);
  return p;
}

// ------------------------------------------------------------------ run

let exitCode = 0;
const hardStop = setTimeout(() => {
  console.error(`FAIL: the test did not finish within ${TOTAL_LIMIT_MS / 1000} s`);
  for (const c of children) if (!c.exited) c.proc.kill('SIGKILL');
  process.exit(2);
}, TOTAL_LIMIT_MS);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const c of children) if (!c.exited) c.proc.kill('SIGKILL');
    process.exit(130);
  });
}
process.on('exit', () => { for (const c of children) if (!c.exited) { try { c.proc.kill('SIGKILL'); } catch (e) { /* gone */ } } });

try {
  await main();
  console.log(`\nPASS: the console end-to-end test passed in ${elapsed().trim()} s`);
} catch (e) {
  exitCode = 1;
  console.error(`\nFAIL: ${e instanceof TestFailure ? e.message : e.stack || e}`);
  const logs = new Map(children.map((c) => [c.logPath, c.name]));
  for (const [logPath, name] of logs) console.error(`  ${name} log (${logPath}):\n${logTail(logPath)}`);
  if (currentPage) {
    try {
      console.error(`  page: ${currentPage.url()}`);
      await currentPage.screenshot({ path: shot('failure.png'), fullPage: true, timeout: 5000 });
    } catch (e2) { /* no page to show */ }
  }
} finally {
  await cleanup();
  clearTimeout(hardStop);
  if (screenshots.length) {
    console.log('screenshots:');
    for (const s of screenshots) if (fs.existsSync(s)) console.log('  ' + s);
  }
  if (tmp) {
    if (exitCode === 0 && process.env.SUNLIGHT_KEEP_TMP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
    else console.log(`service logs and data kept in ${tmp}`);
  }
  console.log(exitCode === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed');
}
process.exit(exitCode);
