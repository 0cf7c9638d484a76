// The light board: a tile per department with its red, yellow and green clocks and its
// anomalies (live from the stream), the totals, and the latest alerts beside them.
import { S, isAdmin, isStaff } from './state.js';
import { t, deptName } from './texts.js';
import { $, $$, h, append } from './dom.js';
import { num, fmtClock } from './format.js';
import { qs } from './api.js';
import { sectionHead } from './parts.js';
import { alertItem, loadAlerts, newestAlerts } from './alerts.js';

function boardRows() {
  const rows = new Map();
  const staff = isStaff();
  if (!staff) for (const id of S.departments.keys()) rows.set(id, { department_id: id, green: 0, yellow: 0, red: 0, anomalies: 0 });
  else rows.set(S.me.department_id, { department_id: S.me.department_id, green: 0, yellow: 0, red: 0, anomalies: 0 });
  for (const d of (S.board && S.board.departments) || []) {
    rows.set(d.department_id, {
      department_id: d.department_id,
      green: num(d.green), yellow: num(d.yellow), red: num(d.red), anomalies: num(d.anomalies),
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
  }]));
  tiles.textContent = '';
  const totals = { green: 0, yellow: 0, red: 0, anomalies: 0 };
  if (!S.board) {
    tiles.appendChild(h('p', { class: 'muted waiting' }, t('board.waiting')));
  } else {
    const rows = boardRows();
    if (!rows.length) tiles.appendChild(h('p', { class: 'muted' }, t('board.empty')));
    for (const r of rows) {
      for (const k of Object.keys(totals)) totals[k] += r[k];
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
      tiles.appendChild(h('article', {
        class: 'tile tile-' + worst,
        dataset: { dept: r.department_id, red: r.red, yellow: r.yellow, green: r.green, anomalies: r.anomalies },
      },
      h('header', null,
        h('h3', null, deptName(r.department_id)),
        h('span', { class: 'dept-id' }, r.department_id)),
      h('div', { class: 'counts' },
        count('red', 'LIGHT_RED'), count('yellow', 'LIGHT_YELLOW'), count('green', 'LIGHT_GREEN'),
        count('anomalies', null)),
      all ? bar : h('div', { class: 'bar empty', 'aria-hidden': 'true' })));
    }
  }
  const tot = $('#board-totals');
  if (tot) {
    tot.textContent = '';
    append(tot, [
      h('span', { class: 'total-label' }, t('board.total')),
      ['red', 'yellow', 'green', 'anomalies'].map((k) =>
        h('span', { class: 'total total-' + k, dataset: { total: k } }, h('b', null, String(totals[k])), ' ', t('board.' + k))),
    ]);
  }
  const upd = $('#board-updated');
  if (upd) upd.textContent = S.boardAt ? t('board.updated', { t: fmtClock(S.boardAt) }) : '';
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
