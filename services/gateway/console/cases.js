// Case lists: the clocks of one light by department, item and start date, page by page
// (GET /v1/clocks), and the search by case number in the top bar.
import { S, isStaff, current } from './state.js';
import { t, deptName, itemName } from './texts.js';
import { $, $$, h, append } from './dom.js';
import { fmtTime, dateStartMs, DAY_MS } from './format.js';
import { get, qs } from './api.js';
import { errorBox, lightClass, lightBadge, caseLink, toast } from './parts.js';

const LIGHTS = ['LIGHT_RED', 'LIGHT_YELLOW', 'LIGHT_GREEN'];

// rerender: draws the page again in place (main.js), for the pager and the reload button.
export function renderCasesView(view, seq, rerender) {
  const p = S.route.params;
  const light = LIGHTS.includes(p.light) ? p.light : 'LIGHT_RED';
  const staff = isStaff();
  const department = staff ? S.me.department_id : (p.department_id || '');
  const pageSize = ['20', '50', '100'].includes(p.page_size) ? p.page_size : '20';
  const filters = { light, department_id: department, item_code: p.item_code || '', from: p.from || '', to: p.to || '', page_size: pageSize };

  const key = JSON.stringify(filters);
  if (S.casesPaging.key !== key) S.casesPaging = { key, tokens: [''], index: 0 };
  const paging = S.casesPaging;

  const select = (name, options, value, disabled) => h('select', { name, disabled },
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
  const form = h('form', { class: 'filters panel', id: 'cases-filters' },
    h('label', null, h('span', null, t('cases.light')), select('light', LIGHTS.map((l) => [l, t('light.' + l)]), light)),
    h('label', null, h('span', null, t('cases.department')),
      select('department_id', [['', t('cases.all')]].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)])),
        department, staff)),
    h('label', null, h('span', null, t('cases.item')),
      select('item_code', [['', t('cases.all')]].concat(Array.from(S.items.keys()).sort().map((c) => [c, c + ' ' + itemName(c)])), filters.item_code)),
    h('label', null, h('span', null, t('cases.from')), h('input', { type: 'date', name: 'from', value: filters.from })),
    h('label', null, h('span', null, t('cases.to')), h('input', { type: 'date', name: 'to', value: filters.to })),
    h('label', { class: 'narrow' }, h('span', null, t('cases.pagesize')), select('page_size', [['20', '20'], ['50', '50'], ['100', '100']], pageSize)),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'primary' }, t('cases.apply')),
      h('button', { type: 'button', class: 'ghost', onclick: () => { location.hash = '#/cases'; } }, t('cases.reset'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const q = {};
    for (const [k, v] of fd.entries()) if (v) q[k] = v;
    if (staff) delete q.department_id;
    location.hash = '#/cases' + qs(q);
  });
  // Selects apply at once.
  for (const s of $$('select', form)) s.addEventListener('change', () => form.requestSubmit());

  const changed = h('div', { class: 'changed-bar', id: 'cases-changed', hidden: true },
    t('cases.changed'), ' ', h('button', { type: 'button', class: 'link', onclick: () => { S.casesPaging.key = ''; rerender(); } }, t('cases.reload')));
  const body = h('div', { class: 'cases-body panel' }, h('p', { class: 'muted' }, t('case.loading')));
  append(view, [
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('cases.title'), ' · ', lightBadge(light)))),
    staff ? h('p', { class: 'note' }, t('staffview', { d: deptName(department) })) : null,
    form, changed, body,
  ]);

  const query = {
    light, department_id: staff ? undefined : department, item_code: filters.item_code,
    started_from: filters.from ? new Date(dateStartMs(filters.from)).toISOString() : '',
    started_to: filters.to ? new Date(dateStartMs(filters.to) + DAY_MS).toISOString() : '',
    page_size: pageSize, page_token: paging.tokens[paging.index],
  };
  get('/v1/clocks' + qs(query)).then((data) => {
    if (!current(seq)) return;
    body.textContent = '';
    const clocks = data.clocks || [];
    if (data.next_page_token) paging.tokens[paging.index + 1] = data.next_page_token;
    else paging.tokens.length = paging.index + 1;
    if (!clocks.length) body.appendChild(h('p', { class: 'muted empty' }, t('cases.none')));
    else body.appendChild(clocksTable(clocks));
    const prev = h('button', { type: 'button', class: 'ghost', disabled: paging.index === 0,
      onclick: () => { paging.index--; rerender(); } }, '← ' + t('cases.prev'));
    const next = h('button', { type: 'button', class: 'ghost', disabled: !data.next_page_token,
      onclick: () => { paging.index++; rerender(); } }, t('cases.next') + ' →');
    body.appendChild(h('div', { class: 'pager' }, prev,
      h('span', { class: 'muted' }, t('cases.page', { n: paging.index + 1 }), ' · ', t('cases.count', { n: clocks.length })), next));
  }).catch((e) => {
    if (!current(seq)) return;
    body.textContent = '';
    body.appendChild(errorBox(e.message));
  });
}

function clockStatus(c) {
  if (c.finished_at) return h('span', { class: 'status finished' }, t('status.finished'));
  if (c.paused) return h('span', { class: 'status paused' }, t('status.paused'));
  return h('span', { class: 'status running' }, t('status.running'));
}

function clocksTable(clocks) {
  const head = h('tr', null, ['col.case_number', 'col.item', 'col.department', 'col.responsible', 'col.started',
    'col.yellow', 'col.due', 'col.light', 'col.status'].map((k) => h('th', { scope: 'col' }, t(k))));
  const rows = clocks.map((c) => {
    const tr = h('tr', { class: 'row-link row-' + lightClass(c.light), dataset: { caseId: c.case_id || '', caseNumber: c.case_number || '' } },
      h('td', { class: 'mono' }, caseLink(c.case_id, c.case_number || c.case_id)),
      h('td', null, h('span', { class: 'mono muted' }, c.item_code || ''), ' ', itemName(c.item_code) !== c.item_code ? itemName(c.item_code) : ''),
      h('td', null, deptName(c.department_id)),
      h('td', null, c.responsible_person || '—'),
      h('td', { class: 'nowrap' }, fmtTime(c.started_at)),
      h('td', { class: 'nowrap' }, fmtTime(c.yellow_at)),
      h('td', { class: 'nowrap' }, fmtTime(c.due)),
      h('td', null, lightBadge(c.light)),
      h('td', null, clockStatus(c)));
    tr.addEventListener('click', (ev) => {
      if (ev.target.closest('a')) return;
      location.hash = '#/case/' + encodeURIComponent(c.case_id);
    });
    return tr;
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'cases-table' }, h('thead', null, head), h('tbody', null, rows)));
}

// The board moved while a list is shown: offer to reload it rather than redraw under the reader.
export function showCasesChanged() {
  const bar = $('#cases-changed');
  if (bar) bar.hidden = false;
}

export async function searchCase(number) {
  number = number.trim();
  if (!number) return;
  try {
    const data = await get('/v1/case-numbers/' + encodeURIComponent(number));
    const id = data.case && data.case.case_id;
    if (id) location.hash = '#/case/' + encodeURIComponent(id);
  } catch (e) {
    if (e.status === 401) return;
    if (e.status === 404) toast(t('search.notfound', { n: number }), '', null, 'warn');
    else toast(t('error.generic', { m: e.message }), '', null, 'warn');
  }
}
