// Notifications (通知): what the notify service tells staff of lights and notices, by text
// message, e-mail or webhook. The backlog and the dead letters counted, the outbox listed by
// state (GET /v1/notifications; a dead letter with its reason), one notification's attempts
// and delivery reports (GET /v1/notifications/{key}), resent by the system administrator when
// dead (POST /v1/notifications/{key}:resend). A message by hand (notify_message.js). And the contacts (GET /v1/contacts): how each
// member of staff is reached, set by the administrator (PUT /v1/contacts/{person_id}). For
// inspectors and the administrator; phones, addresses and destinations come masked, and a
// masked value sent back unchanged keeps the stored one.
import { S, isAdmin, current } from './state.js';
import { t, tv, deptName } from './texts.js';
import { $$, h, append } from './dom.js';
import { num, fmtTime } from './format.js';
import { get, api, post, qs } from './api.js';
import { errorBox, caseLink, sectionHead, fact, toast, busyAction, errorLine } from './parts.js';
import { renderMessageForm } from './notify_message.js';

const STATES = ['STATE_DEAD', 'STATE_RETRYING', 'STATE_QUEUED', 'STATE_SENDING', 'STATE_SENT', 'STATE_DELIVERED'];
const LIMIT = 50;
const DEAD_COUNT_LIMIT = 500;

const hashOf = (params) => '#/notifications' + qs(params);
let paging = { key: '', afters: [''], index: 0 };
let editing = null;  // the contact form: null (closed), {} (a new one) or the contact edited

const stateClass = (s) => 'nstate-' + String(s || '').replace('STATE_', '').toLowerCase();
const stateChip = (s) => h('span', { class: 'state-chip ' + stateClass(s) }, tv('nstate.', s || 'STATE_UNSPECIFIED'));
const rowClass = (s) => (s === 'STATE_DEAD' ? ' row-red' : s === 'STATE_RETRYING' ? ' row-yellow' : '');
const channelText = (n) => [tv('nchannel.', n.channel), n.to].filter(Boolean).join(' · ');
// Why it is dead, or the channel's last answer.
const reasonOf = (n) => (n.state === 'STATE_DEAD' ? n.dead_reason || n.last_detail : n.last_detail) || '';

export function renderNotificationsView(view, seq, rerender) {
  const p = S.route.params;
  const tab = p.tab === 'contacts' || p.tab === 'message' ? p.tab : 'notifications';
  const tabs = h('div', { class: 'tabs', role: 'tablist', id: 'notify-tabs' }, ['notifications', 'contacts', 'message'].map((k) =>
    h('a', { href: hashOf({ tab: k === 'notifications' ? '' : k }), role: 'tab', class: 'tab' + (k === tab ? ' active' : ''),
      'aria-selected': String(k === tab), dataset: { tab: k } }, t('nf.tab.' + k))));
  append(view, [
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('nf.title')), h('p', { class: 'muted' }, t('nf.sub')))),
    tabs,
  ]);
  if (tab === 'contacts') renderContacts(view, seq, rerender);
  else if (tab === 'message') renderMessageForm(view);
  else renderNotifications(view, seq, rerender);
}

// ------------------------------------------------------------------ notifications

function renderNotifications(view, seq, rerender) {
  const p = S.route.params;
  const state = STATES.includes(p.state) ? p.state : '';
  if (paging.key !== state) paging = { key: state, afters: [''], index: 0 };
  const totals = h('div', { class: 'totals', id: 'notify-totals' }, h('span', { class: 'muted' }, t('case.loading')));
  const stateTabs = h('div', { class: 'tabs', role: 'tablist', id: 'notify-states' }, [['', t('cases.all')]].concat(STATES.map((s) => [s, tv('nstate.', s)]))
    .map(([v, label]) => h('a', { href: hashOf({ state: v }), role: 'tab', class: 'tab' + (v === state ? ' active' : ''),
      'aria-selected': String(v === state), dataset: { state: v || 'all' } }, label)));
  const list = h('section', { class: 'panel', id: 'notify-list' }, h('p', { class: 'muted' }, t('case.loading')));
  const detail = h('section', { class: 'panel', id: 'notify-detail' }, h('p', { class: 'muted empty' }, t('nf.select')));
  append(view, [totals, h('div', { class: 'split-layout' },
    h('div', { class: 'split-main' }, stateTabs, list), h('div', { class: 'split-side' }, detail))]);

  const query = { state, after: paging.afters[paging.index], limit: LIMIT };
  // The dead letters counted (up to a limit) beside the backlog the list reports.
  const deadP = state === 'STATE_DEAD' ? null : get('/v1/notifications' + qs({ state: 'STATE_DEAD', limit: DEAD_COUNT_LIMIT }));
  Promise.all([get('/v1/notifications' + qs(query)), deadP]).then(([data, dead]) => {
    if (!current(seq)) return;
    const notifications = data.notifications || [];
    const deadCount = state === 'STATE_DEAD' && paging.index === 0 ? notifications.length : dead ? (dead.notifications || []).length : null;
    renderTotals(totals, num(data.backlog), deadCount, state === 'STATE_DEAD' && notifications.length >= LIMIT);
    const last = notifications.length >= LIMIT ? notifications[notifications.length - 1].key : '';
    if (last) paging.afters[paging.index + 1] = last;
    else paging.afters.length = paging.index + 1;
    list.textContent = '';
    list.appendChild(sectionHead(state ? tv('nstate.', state) : t('nf.list'),
      h('span', { class: 'muted' }, t('nf.count', { n: notifications.length }))));
    if (state === 'STATE_DEAD') list.appendChild(h('p', { class: 'note' }, t(isAdmin() ? 'nf.dead.note.admin' : 'nf.dead.note')));
    if (!notifications.length) list.appendChild(h('p', { class: 'muted empty' }, t('nf.none')));
    else list.appendChild(notificationsTable(notifications, (n) => selectNotification(detail, n.key, seq, rerender)));
    list.appendChild(h('div', { class: 'pager' },
      h('button', { type: 'button', class: 'ghost', disabled: paging.index === 0, onclick: () => { paging.index--; rerender(); } }, '← ' + t('cases.prev')),
      h('span', { class: 'muted' }, t('cases.page', { n: paging.index + 1 })),
      h('button', { type: 'button', class: 'ghost', disabled: !last, onclick: () => { paging.index++; rerender(); } }, t('cases.next') + ' →')));
    if (p.key) selectNotification(detail, p.key, seq, rerender);
  }).catch((e) => {
    if (!current(seq)) return;
    totals.textContent = '';
    list.textContent = '';
    list.appendChild(errorBox(e.message));
  });
}

function renderTotals(box, backlog, dead, more) {
  box.textContent = '';
  append(box, [
    h('span', { class: 'total', id: 'notify-backlog', dataset: { count: String(backlog) } },
      h('span', { class: 'total-label' }, t('nf.backlog')), h('b', null, String(backlog))),
    dead === null ? null : h('a', { class: 'total total-red', id: 'notify-dead', href: hashOf({ state: 'STATE_DEAD' }), dataset: { count: String(dead) } },
      h('span', { class: 'total-label' }, t('nf.dead')), h('b', null, String(dead) + (more || dead >= DEAD_COUNT_LIMIT ? '+' : ''))),
    h('span', { class: 'muted' }, t('nf.backlog.hint')),
  ]);
}

function notificationsTable(notifications, onSelect) {
  const head = h('tr', null, ['col.state', 'nf.col.recipient', 'nf.col.kind', 'nf.col.channel', 'nf.col.created', 'nf.col.attempts', 'nf.col.reason']
    .map((k, i) => h('th', { scope: 'col', class: i === 5 ? 'num' : '' }, t(k))));
  const rows = notifications.map((n) => {
    const tr = h('tr', { class: 'row-link' + rowClass(n.state), dataset: { key: n.key || '', state: n.state || '' } },
      h('td', { class: 'nowrap' }, stateChip(n.state)),
      h('td', { class: 'mono' }, n.recipient || '—'),
      h('td', null, tv('nkind.', n.kind), n.case_id ? h('div', { class: 'muted' }, caseLink(n.case_id)) : null),
      h('td', { class: 'mono nowrap' }, channelText(n) || '—'),
      h('td', { class: 'nowrap' }, fmtTime(n.created_at)),
      h('td', { class: 'num' }, String(num(n.attempts))),
      h('td', { class: n.state === 'STATE_DEAD' ? 'bad' : 'muted' }, reasonOf(n)));
    tr.addEventListener('click', (ev) => { if (!ev.target.closest('a')) onSelect(n); });
    return tr;
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'notify-table' }, h('thead', null, head), h('tbody', null, rows)));
}

// A row clicked (or ?key= in the hash): the notification and its attempts fetched afresh.
async function selectNotification(detail, key, seq, rerender) {
  for (const tr of $$('#notify-table tbody tr')) tr.classList.toggle('selected', tr.dataset.key === key);
  S.route.params.key = key;
  history.replaceState(null, '', hashOf(Object.assign({}, S.route.params)));
  detail.textContent = '';
  detail.appendChild(h('p', { class: 'muted' }, t('case.loading')));
  let data;
  try {
    data = await get('/v1/notifications/' + encodeURIComponent(key));
  } catch (e) {
    if (!current(seq)) return;
    detail.textContent = '';
    detail.appendChild(errorBox(e.message));
    return;
  }
  if (!current(seq) || S.route.params.key !== key) return;
  renderDetail(detail, data.notification || {}, data.attempts || [], rerender);
}

function renderDetail(detail, n, attempts, rerender) {
  detail.textContent = '';
  detail.dataset.key = n.key || '';
  detail.dataset.state = n.state || '';
  append(detail, [
    h('div', { class: 'sheet-head' }, h('h2', null, tv('nkind.', n.kind) || t('nf.notification')), stateChip(n.state)),
    h('p', { class: 'mono small muted' }, n.key),
    n.state === 'STATE_DEAD' ? h('div', { class: 'notice-block decision', id: 'notify-dead-reason' },
      h('h4', null, t('nf.dead.reason')), h('p', null, n.dead_reason || n.last_detail || '—')) : null,
    h('dl', { class: 'facts compact' },
      fact(t('nf.col.recipient'), n.recipient),
      fact(t('nf.col.channel'), channelText(n)),
      fact(t('nf.case'), n.case_id ? caseLink(n.case_id) : ''),
      fact(t('nf.col.created'), fmtTime(n.created_at, true)),
      fact(t('nf.not_before'), n.not_before && n.not_before !== n.created_at ? fmtTime(n.not_before, true) : ''),
      fact(t('nf.col.attempts'), String(num(n.attempts))),
      fact(t('nf.last_attempt'), fmtTime(n.last_attempt_at, true)),
      fact(t('nf.next_attempt'), fmtTime(n.next_attempt_at, true)),
      fact(t('nf.delivered'), fmtTime(n.delivered_at, true)),
      fact(t('nf.last_detail'), n.state === 'STATE_DEAD' ? '' : n.last_detail),
      fact(t('nf.template'), n.template_version)),
    n.subject || n.body ? h('div', { class: 'notice-block' }, h('h4', null, n.subject || t('nf.body')),
      n.body ? h('p', { class: 'complaint-text' }, n.body) : null) : null,
    sectionHead(t('nf.attempts')),
    attempts.length ? attemptsTable(attempts) : h('p', { class: 'muted empty' }, t('nf.attempts.none')),
  ]);
  if (isAdmin() && n.state === 'STATE_DEAD') detail.appendChild(resendForm(n, rerender));
}

function attemptsTable(attempts) {
  const head = h('tr', null, ['nf.attempt.number', 'nf.attempt.at', 'nf.attempt.what', 'nf.attempt.result', 'nf.attempt.detail']
    .map((k) => h('th', { scope: 'col' }, t(k))));
  const rows = attempts.map((a) => h('tr', { class: rowClass(a.result).trim(), dataset: { result: a.result || '', report: a.report ? 'true' : 'false' } },
    h('td', { class: 'num' }, String(num(a.number))),
    h('td', { class: 'nowrap' }, fmtTime(a.at, true)),
    h('td', { class: 'nowrap' }, t(a.report ? 'nf.attempt.report' : 'nf.attempt.attempt')),
    h('td', { class: 'nowrap' }, stateChip(a.result)),
    h('td', null, a.detail || '')));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data compact', id: 'notify-attempts' }, h('thead', null, head), h('tbody', null, rows)));
}

function resendForm(n, rerender) {
  const error = errorLine();
  const form = h('form', { class: 'decide-form', id: 'notify-resend' },
    h('p', { class: 'muted' }, t('nf.resend.hint')),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, t('nf.resend'))), error);
  const run = busyAction(form, error, async () => {
    const done = await post(`/v1/notifications/${encodeURIComponent(n.key)}:resend`);
    toast(t('nf.resent.ok', { state: tv('nstate.', done.state || '') }), n.key, null, 'info');
    rerender();
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
  return form;
}

// ------------------------------------------------------------------ contacts

function renderContacts(view, seq, rerender) {
  const p = S.route.params;
  const department = p.department_id || '';
  const admin = isAdmin();
  const formPanel = admin ? h('section', { class: 'panel', id: 'contact-edit', hidden: !editing }) : null;
  const open = (contact) => { editing = contact; drawForm(formPanel, rerender); formPanel.hidden = false; formPanel.scrollIntoView({ block: 'nearest' }); };
  const list = h('section', { class: 'panel', id: 'contacts-list' }, h('p', { class: 'muted' }, t('case.loading')));
  append(view, [
    h('div', { class: 'filters panel', id: 'contacts-filters' },
      h('label', null, h('span', null, t('cases.department')),
        h('select', { name: 'department_id', onchange: (ev) => { location.hash = hashOf({ tab: 'contacts', department_id: ev.target.value }); } },
          [['', t('cases.all')]].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)]))
            .map(([v, l]) => h('option', { value: v, selected: v === department }, l)))),
      admin ? h('div', { class: 'filter-actions' },
        h('button', { type: 'button', class: 'primary', id: 'contact-new', onclick: () => open({}) }, t('ct.new'))) : null),
    formPanel,
    list,
  ]);
  if (formPanel && editing) drawForm(formPanel, rerender);

  get('/v1/contacts' + qs({ department_id: department })).then((data) => {
    if (!current(seq)) return;
    const contacts = data.contacts || [];
    list.textContent = '';
    list.appendChild(sectionHead(t('ct.list'), h('span', { class: 'muted' }, t('ct.count', { n: contacts.length }))));
    list.appendChild(h('p', { class: 'muted' }, t('ct.hint')));
    if (!contacts.length) { list.appendChild(h('p', { class: 'muted empty' }, t('ct.none'))); return; }
    list.appendChild(contactsTable(contacts, admin ? open : null));
  }).catch((e) => {
    if (!current(seq)) return;
    list.textContent = '';
    list.appendChild(errorBox(e.message));
  });
}

function contactsTable(contacts, onEdit) {
  const cols = ['ct.person', 'ct.name', 'col.department', 'ct.head', 'ct.phone', 'ct.email'];
  const head = h('tr', null, cols.map((k) => h('th', { scope: 'col' }, t(k))), onEdit ? h('th', { scope: 'col' }, '') : null);
  const rows = contacts.map((c) => h('tr', { dataset: { person: c.person_id || '' } },
    h('td', { class: 'mono' }, c.person_id),
    h('td', null, c.name || '—'),
    h('td', null, deptName(c.department_id) || '—'),
    h('td', null, c.head ? h('strong', null, t('yes')) : h('span', { class: 'muted' }, t('no'))),
    h('td', { class: 'mono nowrap' }, c.phone || '—'),
    h('td', { class: 'mono' }, c.email || c.webhook_url || (c.phone ? '—' : h('span', { class: 'bad' }, t('ct.unreachable')))),
    onEdit ? h('td', { class: 'nowrap' }, h('button', { type: 'button', class: 'ghost', dataset: { edit: c.person_id || '' }, onclick: () => onEdit(c) }, t('ct.edit'))) : null));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'contacts-table' }, h('thead', null, head), h('tbody', null, rows)));
}

// The administrator's form: a new contact, or one edited as listed (masked phone and address
// kept unless typed anew).
function drawForm(panel, rerender) {
  panel.textContent = '';
  const c = editing || {};
  const isNew = !c.person_id;
  const input = (name, value, attrs) => h('input', Object.assign({ type: 'text', name, value: value || '', maxlength: '128' }, attrs || {}));
  const person = input('person_id', c.person_id, { required: true, maxlength: '64', readonly: !isNew });
  const name = input('name', c.name, { maxlength: '64' });
  const dept = h('select', { name: 'department_id', required: true }, [['', '—']].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)]))
    .concat(c.department_id && !S.departments.has(c.department_id) ? [[c.department_id, c.department_id]] : [])
    .map(([v, l]) => h('option', { value: v, selected: v === (c.department_id || '') }, l)));
  const head = h('select', { name: 'head' }, [['false', t('no')], ['true', t('yes')]].map(([v, l]) => h('option', { value: v, selected: v === String(!!c.head) }, l)));
  const phone = input('phone', c.phone, { type: 'tel', maxlength: '20', placeholder: '13800000000' });
  const email = input('email', c.email, { maxlength: '254', inputmode: 'email', placeholder: 'name@example.gov.cn' });
  const webhook = input('webhook_url', c.webhook_url, { maxlength: '2048', placeholder: 'https://' });
  const language = h('select', { name: 'language' }, [['', '中文'], ['en', 'English']].map(([v, l]) => h('option', { value: v, selected: v === (c.language === 'zh' ? '' : c.language || '') }, l)));
  const field = (key, el) => h('label', null, h('span', null, t(key)), el);
  const error = errorLine();
  const form = h('form', { class: 'action-form', id: 'contact-form' },
    sectionHead(t(isNew ? 'ct.new' : 'ct.edit.title', { p: c.person_id || '' })),
    isNew ? null : h('p', { class: 'muted' }, t('ct.masked.hint')),
    h('div', { class: 'form-grid' },
      field('ct.person', person), field('ct.name', name), field('col.department', dept), field('ct.head', head),
      field('ct.phone', phone), field('ct.email', email), field('ct.webhook', webhook), field('ct.language', language)),
    h('p', { class: 'muted small' }, t('ct.reach.hint')),
    h('div', { class: 'row end' },
      h('button', { type: 'button', class: 'ghost', onclick: () => { editing = null; panel.hidden = true; } }, t('password.cancel')),
      h('button', { type: 'submit', class: 'primary', id: 'contact-submit' }, t('ct.save'))), error);
  const run = busyAction(form, error, async () => {
    const id = person.value.trim();
    const saved = await api('PUT', '/v1/contacts/' + encodeURIComponent(id), { contact: {
      person_id: id, name: name.value.trim(), department_id: dept.value, head: head.value === 'true',
      phone: phone.value.trim(), email: email.value.trim(), webhook_url: webhook.value.trim(), language: language.value,
    } });
    toast(t('ct.saved.ok', { p: saved.person_id || id }), '', null, 'info');
    editing = null;
    rerender();
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); if (form.reportValidity()) run(); });
  panel.appendChild(form);
  setTimeout(() => (isNew ? person : name).focus(), 0);
}
