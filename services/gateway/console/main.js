// The inspectors' console, started by index.html: log in and out, the session (first the
// password change when the account must change its password), routing by the location's hash
// to the board, case lists, alerts, case pages, monthly scores, statistics, complaints,
// evaluations, attendance, notifications and video, the live
// events wired to them, the language and the wall mode. The gateway serves these files with
// a Content-Security-Policy of default-src 'self': no inline scripts or handlers.
import { S, LANG_KEY, WALL_KEY, TOKEN_KEY, ME_KEY, isInspector, isAdmin, isStaff } from './state.js';
import { t, deptName, roleName } from './texts.js';
import { $, $$, h, append } from './dom.js';
import { fmtClock } from './format.js';
import { api, get, post, onUnauthorized } from './api.js';
import { startStream, stopStream } from './live.js';
import { lightClass, toast } from './parts.js';
import { addAlert, alertHref, alertText, alertToastTitle, loadAlerts, renderAlertsList, renderAlertsView, updateBadge } from './alerts.js';
import { renderBoardView, renderBoardTiles, renderLatestAlerts } from './board.js';
import { renderCasesView, searchCase, showCasesChanged } from './cases.js';
import { renderCaseView, scheduleCaseRefresh } from './case_page.js';
import { renderScoresView } from './scores.js';
import { renderStatisticsView } from './statistics.js';
import { renderComplaintsView } from './complaints.js';
import { renderEvaluationsView } from './evaluations.js';
import { renderAttendanceView } from './attendance.js';
import { renderNotificationsView } from './notifications.js';
import { renderVideoView } from './video.js';
import { releaseMedia } from './video_clips.js';
import { disposeCharts } from './charts.js';
import { initPassword, showPassword, hidePassword, passwordOpen, passwordForced, relabelPassword } from './password.js';

// ------------------------------------------------------------------ session

function showLogin(message, isError) {
  document.body.classList.add('logged-out');
  document.body.classList.remove('logged-in');
  $('#app-view').hidden = true;
  hidePassword();
  $('#login-view').hidden = false;
  const box = $('#login-error');
  box.textContent = message || '';
  box.hidden = !message;
  box.classList.toggle('info', !!message && !isError);
  $('#login-password').value = '';
  setTimeout(() => $('#login-user').focus(), 0);
}

function showApp() {
  document.body.classList.remove('logged-out');
  document.body.classList.add('logged-in');
  $('#login-view').hidden = true;
  hidePassword();
  $('#app-view').hidden = false;
  renderUser();
}

// The pages of the public's voice and of attendance are for the people who work the center's
// cases: staff, inspectors and the system administrator; notifications and video for inspectors
// and the administrator.
function renderNav() {
  const allowed = !!S.me && (isInspector() || isAdmin() || isStaff());
  for (const a of $$('[data-nav-for="signed-in"]')) a.hidden = !allowed;
  const watching = !!S.me && (isInspector() || isAdmin());
  for (const a of $$('[data-nav-for="watch"]')) a.hidden = !watching;
}

function renderUser() {
  const label = $('#user-label');
  label.textContent = '';
  renderNav();
  if (!S.me) return;
  append(label, [
    h('span', { class: 'user-name' }, S.me.name || S.me.user_id),
    h('span', { class: 'user-role' }, roleName(S.me.role) +
      (S.me.department_id ? ' · ' + deptName(S.me.department_id) : '')),
  ]);
  label.title = S.me.user_id;
}

function clearSession() {
  stopStream();
  S.token = '';
  S.me = null;
  S.board = null;
  S.boardAt = null;
  S.alerts = [];
  S.alertIds = new Set();
  S.alertsLoaded = false;
  S.alertsError = '';
  S.unseen = 0;
  S.catalogueLoaded = false;
  S.issuedNotices = new Map();
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ME_KEY);
  updateBadge();
  $('#view').textContent = '';
}

// The token is no longer valid (401, or the stream said the session ended).
function sessionEnded() {
  if (!S.token) return;
  clearSession();
  showLogin(t('login.expired'), true);
}

async function login(userId, password) {
  const data = await api('POST', '/v1/login', { user_id: userId, password });
  S.token = data.token;
  sessionStorage.setItem(TOKEN_KEY, S.token);
  S.me = data.user || { user_id: userId };
  try {
    S.me = Object.assign({}, S.me, await get('/v1/me'));
  } catch (e) { /* the login's own user record is enough */ }
  sessionStorage.setItem(ME_KEY, JSON.stringify(S.me));
}

async function logout() {
  const token = S.token;
  stopStream();
  if (token) {
    try { await post('/v1/logout'); } catch (e) { /* the session is dropped either way */ }
  }
  clearSession();
  // The next person starts at the board (after an expired session one returns to the page).
  history.replaceState(null, '', location.pathname + location.search + '#/board');
  showLogin(t('login.loggedout'), false);
}

// After login or a page load with a stored token: the app, or first the password change (the
// token of a user who must change their password reaches nothing else).
function enterSession() {
  if (S.me && S.me.must_change_password) showPassword(true);
  else startSession();
}

async function startSession() {
  showApp();
  startStream({ onEvent: onStreamEvent, onReconnect: refreshAfterReconnect, onUnauthorized: sessionEnded });
  loadCatalogue().then(() => { renderUser(); rerender(); });
  render();
}

async function loadCatalogue() {
  const [deps, items] = await Promise.allSettled([get('/v1/departments'), get('/v1/items')]);
  if (deps.status === 'fulfilled') {
    for (const d of deps.value.departments || []) S.departments.set(d.department_id, d.name || '');
  }
  if (items.status === 'fulfilled') {
    for (const it of items.value.items || []) {
      const def = it.definition || {};
      if (def.item_code) S.items.set(def.item_code, def.name || '');
    }
  }
  S.catalogueLoaded = true;
}

// ------------------------------------------------------------------ live events

function onStreamEvent(type, data) {
  if (type === 'board' && data && typeof data === 'object') {
    S.board = data;
    S.boardAt = new Date();
    onBoardChanged();
  } else if (type === 'alert' && data && typeof data === 'object') {
    if (addAlert(data, true)) onAlertArrived(data);
  }
}

function onBoardChanged() {
  if (S.route.name === 'board') renderBoardTiles();
  else if (S.route.name === 'cases') showCasesChanged();
  else if (S.route.name === 'case') scheduleCaseRefresh();
}

// After a reconnect, alerts raised while we were away are fetched again.
function refreshAfterReconnect() {
  if (S.alertsLoaded) loadAlerts().then(() => { if (S.route.name === 'alerts') rerender(); });
}

function onAlertArrived(alert) {
  if (S.route.name !== 'alerts') { S.unseen++; updateBadge(); }
  toast(alertToastTitle(alert), alertText(alert), alertHref(alert),
    alert.kind === 'ALERT_KIND_ANOMALY' ? 'anomaly' : lightClass(alert.light));
  if (S.route.name === 'alerts') renderAlertsList();
  if (S.route.name === 'board') renderLatestAlerts();
  if (S.route.name === 'case' && S.route.params.id === alert.case_id) scheduleCaseRefresh();
}

// ------------------------------------------------------------------ routing

function parseRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query] = hash.split('?');
  const params = Object.fromEntries(new URLSearchParams(query || ''));
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'case' && parts[1]) return { name: 'case', params: Object.assign(params, { id: parts[1] }) };
  if (parts[0] === 'cases') return { name: 'cases', params };
  if (parts[0] === 'alerts') return { name: 'alerts', params };
  if (parts[0] === 'scores') return { name: 'scores', params };
  if (parts[0] === 'statistics') return { name: 'statistics', params };
  if (parts[0] === 'complaints') return { name: 'complaints', params };
  if (parts[0] === 'evaluations') return { name: 'evaluations', params };
  if (parts[0] === 'attendance') return { name: 'attendance', params };
  if (parts[0] === 'notifications') return { name: 'notifications', params };
  if (parts[0] === 'video') return { name: 'video', params };
  return { name: 'board', params };
}

function render() {
  if (!S.token || (S.me && S.me.must_change_password)) return;
  S.route = parseRoute();
  const seq = ++S.renderSeq;
  for (const a of $$('[data-nav]')) a.classList.toggle('active', a.dataset.nav === S.route.name ||
    (S.route.name === 'case' && a.dataset.nav === 'cases'));
  const view = $('#view');
  disposeCharts();  // the statistics page's, drawn again if it is shown again
  releaseMedia();   // the clips and snapshots of the page left
  view.textContent = '';
  view.dataset.view = S.route.name;
  if (S.route.name === 'board') renderBoardView(view);
  else if (S.route.name === 'cases') renderCasesView(view, seq, rerender);
  else if (S.route.name === 'alerts') renderAlertsView(view, seq);
  else if (S.route.name === 'case') renderCaseView(view, seq, S.route.params.id);
  else if (S.route.name === 'scores') renderScoresView(view, seq, rerender);
  else if (S.route.name === 'statistics') renderStatisticsView(view, seq);
  else if (S.route.name === 'complaints') renderComplaintsView(view, seq, rerender);
  else if (S.route.name === 'evaluations') renderEvaluationsView(view, seq, rerender);
  else if (S.route.name === 'attendance') renderAttendanceView(view, seq, rerender);
  else if (S.route.name === 'notifications') renderNotificationsView(view, seq, rerender);
  else if (S.route.name === 'video') renderVideoView(view, seq, rerender);
}
// Re-render in place (language switch, catalogue loaded): keeps the scroll position.
function rerender() {
  const y = window.scrollY;
  render();
  window.scrollTo(0, y);
}

// ------------------------------------------------------------------ language and wall mode

function applyLang() {
  document.documentElement.lang = S.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.name') + ' · Sunlight';
  for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of $$('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of $$('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const b of $$('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === S.lang));
  applyWall();
  renderUser();
  relabelPassword();
}

function setLang(lang) {
  if (lang !== 'zh' && lang !== 'en') return;
  S.lang = lang;
  localStorage.setItem(LANG_KEY, lang);
  applyLang();
  if (S.token && S.me) rerender();
}

function applyWall() {
  const on = localStorage.getItem(WALL_KEY) === '1';
  document.body.classList.toggle('wall', on);
  const b = $('#wall-toggle');
  b.dataset.i18n = on ? 'wall.off' : 'wall.on';
  b.textContent = t(b.dataset.i18n);
  b.setAttribute('aria-pressed', String(on));
}

function tickClock() {
  $('#wall-clock').textContent = fmtClock(new Date());
}

// ------------------------------------------------------------------ start

function init() {
  onUnauthorized(sessionEnded);
  applyLang();
  tickClock();
  setInterval(tickClock, 1000);
  for (const b of $$('[data-lang]')) b.addEventListener('click', () => setLang(b.dataset.lang));
  $('#wall-toggle').addEventListener('click', () => {
    localStorage.setItem(WALL_KEY, localStorage.getItem(WALL_KEY) === '1' ? '0' : '1');
    applyWall();
  });
  $('#logout').addEventListener('click', () => logout());
  $('#change-password').addEventListener('click', () => showPassword(false));
  initPassword({
    done: (wasForced) => (wasForced ? startSession() : showApp()),
    cancel: (forced) => (forced ? logout() : showApp()),
  });
  $('#search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    searchCase($('#search-input').value);
  });
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = $('#login-submit');
    const box = $('#login-error');
    box.hidden = true;
    button.disabled = true;
    button.textContent = t('login.busy');
    try {
      await login($('#login-user').value.trim(), $('#login-password').value);
      $('#login-password').value = '';
      enterSession();
    } catch (e) {
      box.textContent = e.message;
      box.classList.remove('info');
      box.hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = t('login.submit');
    }
  });
  window.addEventListener('hashchange', () => {
    if (passwordOpen() && !passwordForced()) showApp();  // the top bar's links leave the form
    render();
    window.scrollTo(0, 0);
  });
  // Another tab changed the language.
  window.addEventListener('storage', (ev) => {
    if (ev.key === LANG_KEY && ev.newValue && ev.newValue !== S.lang) setLang(ev.newValue);
    if (ev.key === WALL_KEY) applyWall();
  });

  if (!S.token) { showLogin(''); return; }
  try { S.me = JSON.parse(sessionStorage.getItem(ME_KEY) || 'null'); } catch (e) { S.me = null; }
  // Check the stored token before showing anything.
  get('/v1/me').then((me) => {
    S.me = Object.assign({}, S.me || {}, me);
    sessionStorage.setItem(ME_KEY, JSON.stringify(S.me));
    enterSession();
  }).catch((e) => {
    if (e.status === 401) return;  // sessionEnded() already showed the login form
    if (S.me) enterSession();
    else showLogin(e.message, true);
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
