// Statistics (统计): measures by dimension and period over a range of days (GET
// /v1/statistics), drawn with ECharts (charts.js): the trend of accepted and completed cases
// and the on-time rate, this period against the previous one for each group, and the
// departments' on-time rates; the rows as a table, and as CSV or Excel.
import { S, current } from './state.js';
import { t, tv, deptName, itemName } from './texts.js';
import { $$, h, append } from './dom.js';
import { num, calDate, fmtRate, thisMonth, addMonths } from './format.js';
import { get, qs } from './api.js';
import { errorBox, sectionHead } from './parts.js';
import { exportBox } from './exports.js';
import { loadECharts, drawChart } from './charts.js';

const DIMENSIONS = ['center', 'department', 'window', 'person', 'item', 'item_category', 'channel'];
const PERIODS = ['day', 'week', 'month', 'quarter', 'year'];
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const COLORS = ['#173d69', '#22c55e', '#ef4444', '#94a3b8', '#facc15'];

// The last response, so that a redraw (language switch) does not fetch again.
let cache = { key: '', main: null, depts: null };

export function groupLabel(dimension, value) {
  if (dimension === 'center') return t('stats.center');
  if (!value) return '—';
  if (dimension === 'department') return deptName(value);
  if (dimension === 'item') return `${value} ${itemName(value) !== value ? itemName(value) : ''}`.trim();
  if (dimension === 'channel') return tv('stats.channel.', value);
  if (dimension === 'item_category') return tv('stats.category.', value);
  return value;
}

export function renderStatisticsView(view, seq) {
  const p = S.route.params;
  const dimension = DIMENSIONS.includes(p.dimension) ? p.dimension : 'department';
  const period = PERIODS.includes(p.period) ? p.period : 'month';
  const today = calDate(Date.now());
  const from = DAY_RE.test(p.from || '') ? p.from : addMonths(thisMonth(), -11) + '-01';
  const to = DAY_RE.test(p.to || '') ? p.to : today;
  const group = dimension === 'center' ? '' : p.group || '';
  const query = {
    dimension: 'DIMENSION_' + dimension.toUpperCase(), period: 'PERIOD_' + period.toUpperCase(), from_day: from, to_day: to,
  };

  const select = (name, options, value) => h('select', { name }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
  const groupSelect = select('group', [['', t('stats.allgroups')]], group);
  groupSelect.disabled = dimension === 'center';
  const form = h('form', { class: 'filters panel', id: 'stats-filters' },
    h('label', null, h('span', null, t('stats.dimension')), select('dimension', DIMENSIONS.map((d) => [d, t('stats.dim.' + d)]), dimension)),
    h('label', null, h('span', null, t('stats.period')), select('period', PERIODS.map((x) => [x, t('stats.per.' + x)]), period)),
    h('label', null, h('span', null, t('stats.from')), h('input', { type: 'date', name: 'from', value: from, required: true })),
    h('label', null, h('span', null, t('stats.to')), h('input', { type: 'date', name: 'to', value: to, required: true })),
    h('label', null, h('span', null, t('stats.group')), groupSelect),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'primary' }, t('cases.apply')),
      h('button', { type: 'button', class: 'ghost', onclick: () => { location.hash = '#/statistics'; } }, t('cases.reset'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = {};
    for (const [k, v] of new FormData(form).entries()) if (v) q[k] = v;
    if (q.dimension !== dimension) delete q.group;  // another dimension's groups
    location.hash = '#/statistics' + qs(q);
  });
  for (const s of $$('select', form)) s.addEventListener('change', () => form.requestSubmit());

  const chart = (id, title) => h('section', { class: 'panel chart-panel' }, sectionHead(title), h('div', { class: 'chart', id }));
  const trend = chart('chart-trend', t('stats.chart.trend', { g: group ? groupLabel(dimension, group) : t('stats.allgroups') }));
  const mom = chart('chart-mom', t('stats.chart.mom'));
  const depts = chart('chart-depts', t('stats.chart.depts'));
  const table = h('section', { class: 'panel', id: 'stats-table-panel' }, sectionHead(t('stats.table')), h('p', { class: 'muted' }, t('case.loading')));
  append(view, [
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, t('stats.title')), h('p', { class: 'muted' }, t('stats.sub'))),
      exportBox('stats-export', (format) => '/v1/statistics:export' + qs(Object.assign({ format }, query, { values: group })))),
    form,
    h('div', { class: 'charts' }, trend, mom, depts),
    table,
  ]);

  const key = JSON.stringify(query);
  const dataP = cache.key === key ? Promise.resolve(cache) : Promise.all([
    get('/v1/statistics' + qs(query)),
    dimension === 'department' ? null : get('/v1/statistics' + qs(Object.assign({}, query, { dimension: 'DIMENSION_DEPARTMENT' }))),
  ]).then(([main, d]) => (cache = { key, main, depts: d || main }));
  dataP.then((data) => {
    if (!current(seq)) return;
    const rows = data.main.rows || [];
    const values = Array.from(new Set(rows.map((r) => r.value || '')));
    for (const v of values) if (v || dimension !== 'center') groupSelect.appendChild(h('option', { value: v, selected: v === group }, groupLabel(dimension, v)));
    renderTable(table, rows, dimension);
    return loadECharts().then(() => {
      if (!current(seq)) return;
      drawCharts(rows, data.depts.rows || [], dimension, group, { period, from, to }, { trend, mom, depts });
    }).catch((e) => {
      if (!current(seq)) return;
      for (const s of [trend, mom, depts]) s.appendChild(errorBox(e.message));
    });
  }).catch((e) => {
    if (!current(seq)) return;
    table.textContent = '';
    append(table, [sectionHead(t('stats.table')), errorBox(e.message)]);
  });
}

const sumMeasures = (rows) => {
  const out = { accepted: 0, completed: 0, completed_on_time: 0 };
  for (const r of rows) for (const k of Object.keys(out)) out[k] += num((r.measures || {})[k]);
  return out;
};
const rate = (m) => (m.completed ? Math.round((m.completed_on_time * 1000) / m.completed) / 10 : null);  // percent, 1 decimal

function baseOption() {
  return {
    color: COLORS,
    animationDuration: 400,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 36, bottom: 32, containLabel: true },
  };
}

// The labels of the periods that overlap the days from..to, as scoring writes them
// ("2026-11-03", "2026-W45", "2026-11", "2026-Q4", "2026"), so that the trend shows the
// periods without data too.
function periodLabels(period, from, to) {
  const out = new Set();
  const end = Date.parse(to + 'T00:00:00Z');
  for (let d = Date.parse(from + 'T00:00:00Z'), n = 0; d <= end && n < 4000; d += 86400000, n++) {
    const day = new Date(d);
    const ymd = day.toISOString().slice(0, 10);
    if (period === 'day') out.add(ymd);
    else if (period === 'month') out.add(ymd.slice(0, 7));
    else if (period === 'year') out.add(ymd.slice(0, 4));
    else if (period === 'quarter') out.add(`${ymd.slice(0, 4)}-Q${Math.floor(day.getUTCMonth() / 3) + 1}`);
    else {  // ISO weeks: the week's Thursday names its year
      const thursday = new Date(d + (3 - ((day.getUTCDay() + 6) % 7)) * 86400000);
      const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
      const week = Math.floor((thursday.getTime() - jan1) / 86400000 / 7) + 1;
      out.add(`${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`);
    }
  }
  return out;
}

function drawCharts(rows, deptRows, dimension, group, range, panels) {
  const withData = Array.from(new Set(rows.map((r) => r.period))).sort();
  const periods = Array.from(new Set([...periodLabels(range.period, range.from, range.to), ...withData])).sort();
  const chosen = group ? rows.filter((r) => r.value === group) : rows;
  const perPeriod = periods.map((p) => sumMeasures(chosen.filter((r) => r.period === p)));
  const empty = (text) => ({ graphic: { type: 'text', left: 'center', top: 'middle', style: { text, fill: '#637083', fontSize: 14 } } });

  const trend = drawChart(panels.trend.querySelector('.chart'), Object.assign(baseOption(), {
    xAxis: { type: 'category', data: periods },
    yAxis: [{ type: 'value', name: t('stats.cases'), minInterval: 1 }, { type: 'value', name: t('stats.ontime'), min: 0, max: 100, axisLabel: { formatter: '{value}%' } }],
    series: [
      { name: t('stats.accepted'), type: 'line', data: perPeriod.map((m) => m.accepted) },
      { name: t('stats.completed'), type: 'line', data: perPeriod.map((m) => m.completed) },
      { name: t('stats.ontime'), type: 'line', yAxisIndex: 1, connectNulls: true, data: perPeriod.map(rate), lineStyle: { type: 'dashed' } },
    ],
  }, withData.length ? {} : empty(t('stats.nodata'))));

  // The last period with data against the one before it, group by group.
  const last = withData[withData.length - 1];
  const latest = rows.filter((r) => r.period === last)
    .sort((a, b) => num((b.measures || {}).accepted) - num((a.measures || {}).accepted)).slice(0, 15);
  const mom = drawChart(panels.mom.querySelector('.chart'), Object.assign(baseOption(), {
    xAxis: { type: 'category', data: latest.map((r) => groupLabel(dimension, r.value)), axisLabel: { interval: 0, rotate: latest.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value', name: t('stats.accepted'), minInterval: 1 },
    series: [
      { name: t('stats.thisperiod', { p: last || '' }), type: 'bar', data: latest.map((r) => num((r.measures || {}).accepted)) },
      { name: t('stats.previous'), type: 'bar', data: latest.map((r) => num((r.previous || {}).accepted)), itemStyle: { color: COLORS[3] } },
    ],
  }, latest.length ? {} : empty(t('stats.nodata'))));

  // On-time rate of each department over the whole range.
  const byDept = new Map();
  for (const r of deptRows) {
    if (!byDept.has(r.value)) byDept.set(r.value, []);
    byDept.get(r.value).push(r);
  }
  const deptRates = Array.from(byDept.entries()).map(([id, rs]) => ({ id, m: sumMeasures(rs) }))
    .sort((a, b) => (rate(b.m) ?? -1) - (rate(a.m) ?? -1) || deptName(a.id).localeCompare(deptName(b.id)));
  const anyRate = deptRates.some((d) => rate(d.m) !== null);
  const depts = drawChart(panels.depts.querySelector('.chart'), Object.assign(baseOption(), {
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null || v === undefined ? '—' : v + '%') },
    xAxis: { type: 'category', data: deptRates.map((d) => deptName(d.id)), axisLabel: { interval: 0, rotate: deptRates.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    series: [{ name: t('stats.ontime'), type: 'bar', data: deptRates.map((d) => rate(d.m)), itemStyle: { color: COLORS[1] },
      label: { show: true, position: 'top', formatter: (x) => (x.value === null || x.value === undefined ? '' : x.value + '%') } }],
  }, anyRate ? {} : empty(t('stats.nocompleted'))));
  for (const [panel, c] of [[panels.trend, trend], [panels.mom, mom], [panels.depts, depts]]) {
    panel.querySelector('.chart').dataset.lang = S.lang;
    panel.querySelector('.chart').dataset.drawn = String(!!c);
  }
}

function renderTable(section, rows, dimension) {
  section.textContent = '';
  section.appendChild(sectionHead(t('stats.table'), h('span', { class: 'muted' }, t('stats.rows', { n: rows.length }))));
  if (!rows.length) { section.appendChild(h('p', { class: 'muted empty' }, t('stats.nodata'))); return; }
  const cols = ['stats.group', 'stats.period', 'stats.received', 'stats.accepted', 'stats.completed', 'stats.ontime.n', 'stats.ontime',
    'stats.sameday', 'stats.overdue', 'light.LIGHT_YELLOW', 'light.LIGHT_RED', 'board.anomalies', 'stats.prev.accepted', 'stats.ly.accepted'];
  const body = rows.map((r) => {
    const m = r.measures || {};
    return h('tr', { dataset: { value: r.value || '', period: r.period || '' } },
      h('td', null, groupLabel(dimension, r.value)),
      h('td', { class: 'mono nowrap' }, r.period || ''),
      ['received', 'accepted', 'completed', 'completed_on_time'].map((k) => h('td', { class: 'num' }, String(num(m[k])))),
      h('td', { class: 'num' }, fmtRate(r.on_time_rate_bp)),
      h('td', { class: 'num' }, fmtRate(r.same_day_rate_bp)),
      ['overdue', 'yellow', 'red', 'anomalies'].map((k) => h('td', { class: 'num' }, String(num(m[k])))),
      h('td', { class: 'num muted' }, String(num((r.previous || {}).accepted))),
      h('td', { class: 'num muted' }, String(num((r.last_year || {}).accepted))));
  });
  section.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data compact', id: 'stats-table' },
    h('thead', null, h('tr', null, cols.map((k) => h('th', { scope: 'col', class: k === 'stats.group' || k === 'stats.period' ? '' : 'num' }, t(k))))),
    h('tbody', null, body))));
}
