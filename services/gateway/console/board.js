// The light board: a tile per department with its red, yellow and green clocks and its
// anomalies (live from the stream), beside them its open complaints and rectifications by
// light (DepartmentLights.complaints / .rectifications), the totals, and the latest alerts.
import { S, isAdmin, isStaff } from './state.js';
import { t, deptName } from './texts.js';
import { $, $$, h, append } from './dom.js';
import { num, fmtClock } from './format.js';
import { qs } from './api.js';
import { sectionHead } from './parts.js';
import { alertItem, loadAlerts, newestAlerts } from './alerts.js';

const VOICE = ['complaints', 'rectifications'];
const VOICE_LIGHTS = ['red', 'yellow', 'green'];
const lightCounts = (c) => ({ red: num((c || {}).red), yellow: num((c || {}).yellow), green: num((c || {}).green) });
const emptyRow = (id) => ({ department_id: id, green: 0, yellow: 0, red: 0, anomalies: 0, complaints: lightCounts(), rectifications: lightCounts() });

function boardRows() {
  const rows = new Map();
  const staff = isStaff();
  if (!staff) for (const id of S.departments.keys()) rows.set(id, emptyRow(id));
  else rows.set(S.me.department_id, emptyRow(S.me.department_id));
  for (const d of (S.board && S.board.departments) || []) {
    rows.set(d.department_id, {
      department_id: d.department_id,
      green: num(d.green), yellow: num(d.yellow), red: num(d.red), anomalies: num(d.anomalies),
      complaints: lightCounts(d.complaints), rectifications: lightCounts(d.rectifications),
    });
  }
  const order = new Map(((S.board && S.board.departments) || []).map((d, i) => [d.department_id, i]));
  return Array.from(rows.values()).sort((a, b) =>
    b.red - a.red || b.yellow - a.yellow || b.anomalies - a.anomalies ||
    (order.has(a.department_id) ? order.get(a.department_id) : 1e9) - (order.has(b.department_id) ? order.get(b.department_id) : 1e9) ||
    deptName(a.department_id).localeCompare(deptName(b.department_id)));
}

export function renderBoardView(view) {
  const intro = h('div', { class: 'page-head' },
    h('div', null, h('h1', null, t('board.title')), h('p', { class: 'muted' }, t('board.sub'))),
    h('div', { class: 'board-updated', id: 'board-updated' }));
  const notes = [];
  if (isAdmin()) notes.push(h('p', { class: 'note' }, t('readonly')));
  if (isStaff()) notes.push(h('p', { class: 'note' }, t('staffview', { d: deptName(S.me.department_id) })));
  const layout = h('div', { class: 'board-layout' },
    h('div', { class: 'board-main' },
      h('div', { class: 'totals', id: 'board-totals' }),
      h('div', { class: 'tiles', id: 'board-tiles' })),
    h('aside', { class: 'board-side panel' },
      sectionHead(t('board.latest'), h('a', { href: '#/alerts', class: 'more' }, t('nav.alerts') + ' →')),
      h('ol', { class: 'latest-alerts', id: 'latest-alerts' })));
  append(view, [intro, notes, layout]);
  renderBoardTiles();
  renderLatestAlerts();
  if (!S.alertsLoaded && !isStaff()) loadAlerts().then(() => { if (S.route.name === 'board') renderLatestAlerts(); });
}

export function renderBoardTiles() {
  const tiles = $('#board-tiles');
  if (!tiles) return;
  const previous = new Map($$('.tile', tiles).map((el) => [el.dataset.dept, {
    red: el.dataset.red, yellow: el.dataset.yellow, green: el.dataset.green, anomalies: el.dataset.anomalies,
    voice: el.dataset.voice,
  }]));
  tiles.textContent = '';
  const totals = { green: 0, yellow: 0, red: 0, anomalies: 0 };
  const voiceTotals = { complaints: lightCounts(), rectifications: lightCounts() };
  if (!S.board) {
    tiles.appendChild(h('p', { class: 'muted waiting' }, t('board.waiting')));
  } else {
    const rows = boardRows();
    if (!rows.length) tiles.appendChild(h('p', { class: 'muted' }, t('board.empty')));
    for (const r of rows) {
      for (const k of Object.keys(totals)) totals[k] += r[k];
      for (const v of VOICE) for (const l of VOICE_LIGHTS) voiceTotals[v][l] += r[v][l];
      const worst = r.red ? 'red' : r.yellow ? 'yellow' : r.green ? 'green' : 'idle';
      const all = r.green + r.yellow + r.red;
      const before = previous.get(r.department_id);
      const count = (kind, light) => {
        const changed = before && String(before[kind]) !== String(r[kind]);
        const href = light
          ? '#/cases' + qs({ light, department_id: r.department_id })
          : '#/alerts' + qs({ department_id: r.department_id, kind: 'ALERT_KIND_ANOMALY' });
        return h('a', {
          class: 'count count-' + kind + (r[kind] ? ' nonzero' : '') + (changed ? ' changed' : ''),
          href, dataset: { count: kind },
          title: light ? t('board.open', { light: t('light.' + light) }) : t('board.anomalies.open'),
        }, h('span', { class: 'n' }, String(r[kind])), h('span', { class: 'l' }, t('board.' + kind)));
      };
      const bar = h('div', { class: 'bar', 'aria-hidden': 'true' },
        ['red', 'yellow', 'green'].map((k) => (r[k] ? h('span', { class: 'seg seg-' + k, style: { flexGrow: String(r[k]) } }) : null)));
      const voice = JSON.stringify([r.complaints, r.rectifications]);
      const voiceChanged = before && before.voice !== voice;
      tiles.appendChild(h('article', {
        class: 'tile tile-' + worst,
        dataset: { dept: r.department_id, red: r.red, yellow: r.yellow, green: r.green, anomalies: r.anomalies, voice },
      },
      h('header', null,
        h('h3', null, deptName(r.department_id)),
        h('span', { class: 'dept-id' }, r.department_id)),
      h('div', { class: 'counts' },
        count('red', 'LIGHT_RED'), count('yellow', 'LIGHT_YELLOW'), count('green', 'LIGHT_GREEN'),
        count('anomalies', null)),
      all ? bar : h('div', { class: 'bar empty', 'aria-hidden': 'true' }),
      h('div', { class: 'voice-counts' + (voiceChanged ? ' changed' : '') }, VOICE.map((v) => voiceCount(v, r[v], r.department_id)))));
    }
  }
  const tot = $('#board-totals');
  if (tot) {
    tot.textContent = '';
    append(tot, [
      h('span', { class: 'total-label' }, t('board.total')),
      ['red', 'yellow', 'green', 'anomalies'].map((k) =>
        h('span', { class: 'total total-' + k, dataset: { total: k } }, h('b', null, String(totals[k])), ' ', t('board.' + k))),
      VOICE.map((v) => h('span', { class: 'total total-voice', dataset: { total: v } }, t('board.' + v), ' ',
        VOICE_LIGHTS.map((l) => h('b', { class: 'vc vc-' + l, dataset: { light: l } }, String(voiceTotals[v][l]))))),
    ]);
  }
  const upd = $('#board-updated');
  if (upd) upd.textContent = S.boardAt ? t('board.updated', { t: fmtClock(S.boardAt) }) : '';
}

// A department's open complaints or rectifications by light, linking to their page.
function voiceCount(what, counts, departmentId) {
  const href = what === 'complaints'
    ? '#/complaints' + qs({ state: 'open', department_id: departmentId })
    : '#/evaluations' + qs({ filter: 'rectification', department_id: departmentId });
  const total = counts.red + counts.yellow + counts.green;
  return h('a', { class: 'voice voice-' + what + (total ? ' nonzero' : ''), href, dataset: { voice: what } },
    h('span', { class: 'l' }, t('board.' + what)),
    VOICE_LIGHTS.map((l) => h('span', {
      class: 'vc vc-' + l + (counts[l] ? ' nonzero' : ''), dataset: { light: l },
      title: t('board.voice.open', { what: t('board.' + what), light: t('board.' + l) }),
    }, String(counts[l]))));
}

export function renderLatestAlerts() {
  const list = $('#latest-alerts');
  if (!list) return;
  list.textContent = '';
  const latest = newestAlerts().slice(0, 8);
  if (!latest.length) {
    list.appendChild(h('li', { class: 'muted empty' }, isStaff() ? t('board.noalerts') : S.alertsError || t('board.noalerts')));
    return;
  }
  for (const a of latest) list.appendChild(alertItem(a));
}
