// Complaints (投诉): a month's complaints by state (GET /v1/complaints), each with the light of
// its open supervision clock (acceptance, then handling), and one complaint's details
// (GET /v1/complaints/{id}) with the department's account and the outcome. Inspectors decide
// the acceptance and conclude; the department's staff give their account; inspectors and
// administrators enter a complaint taken by phone. Complainants' contacts are shown masked, as
// the gateway sends them.
import { S, isAdmin, isInspector, isStaff, current } from './state.js';
import { t, tv, deptName } from './texts.js';
import { $$, h, append } from './dom.js';
import { fmtTime, thisMonth, addMonths } from './format.js';
import { get, post, qs } from './api.js';
import { errorBox, lightBadge, lightClass, caseLink, sectionHead, fact, toast, actorText, busyAction, errorLine, MONTH_RE, monthFilter } from './parts.js';
import { openVoiceClocks, COMPLAINT_KINDS } from './voice_lights.js';

const STATES = ['COMPLAINT_STATE_FILED', 'COMPLAINT_STATE_ACCEPTED', 'COMPLAINT_STATE_NOT_ACCEPTED', 'COMPLAINT_STATE_CONCLUDED'];
const OPEN = 'COMPLAINT_STATE_FILED,COMPLAINT_STATE_ACCEPTED';
const CATEGORIES = ['ATTITUDE', 'DELAY', 'EXTRA_MATERIALS', 'FEES', 'MISCONDUCT', 'OTHER'].map((c) => 'COMPLAINT_CATEGORY_' + c);

const hashOf = (params) => '#/complaints' + qs(params);
let paging = { key: '', tokens: [''], index: 0 };
let lastFiled = null;  // the phone complaint just entered: its number and query code, shown once

export function renderComplaintsView(view, seq, rerender) {
  const p = S.route.params;
  const month = MONTH_RE.test(p.month || '') ? p.month : thisMonth();
  const state = p.state === 'open' || STATES.includes(p.state) ? p.state : '';
  const staff = isStaff();
  const department = staff ? S.me.department_id : p.department_id || '';
  const filters = { month, state, department_id: staff ? '' : department };
  const key = JSON.stringify(filters);
  if (paging.key !== key) paging = { key, tokens: [''], index: 0 };
  const go = (changes) => { location.hash = hashOf(Object.assign({}, filters, changes)); };

  const select = (name, options, value, onchange) => h('select', { name, onchange: (ev) => onchange(ev.target.value) },
    options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
  const form = h('div', { class: 'filters panel', id: 'complaints-filters' },
    monthFilter('complaints-month', month, (m) => go({ month: m }), addMonths),
    h('label', null, h('span', null, t('complaints.state')), select('state',
      [['', t('cases.all')], ['open', t('complaints.state.open')]].concat(STATES.map((s) => [s, tv('cstate.', s)])), state, (v) => go({ state: v }))),
    staff ? null : h('label', null, h('span', null, t('cases.department')), select('department_id',
      [['', t('cases.all')]].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)])), department, (v) => go({ department_id: v }))));
  const list = h('section', { class: 'panel', id: 'complaints-list' }, h('p', { class: 'muted' }, t('case.loading')));
  const detail = h('section', { class: 'panel', id: 'complaint-detail' }, h('p', { class: 'muted empty' }, t('complaints.select')));
  const phone = isInspector() || isAdmin() ? phoneBox(rerender) : null;
  append(view, [
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, t('complaints.title')), h('p', { class: 'muted' }, t('complaints.sub'))),
      phone ? phone.button : null),
    staff ? h('p', { class: 'note' }, t('staffview', { d: deptName(department) })) : null,
    phone ? phone.panel : null,
    form,
    h('div', { class: 'split-layout' }, h('div', { class: 'split-main' }, list), h('div', { class: 'split-side' }, detail)),
  ]);

  const query = { month, department_id: filters.department_id, states: state === 'open' ? OPEN : state,
    page_size: 100, page_token: paging.tokens[paging.index] };
  const lightsP = openVoiceClocks(COMPLAINT_KINDS, filters.department_id);
  Promise.all([get('/v1/complaints' + qs(query)), lightsP]).then(([data, lights]) => {
    if (!current(seq)) return;
    const complaints = (data.complaints || []).slice().reverse();  // newest first
    if (data.next_page_token) paging.tokens[paging.index + 1] = data.next_page_token;
    else paging.tokens.length = paging.index + 1;
    list.textContent = '';
    if (!complaints.length) list.appendChild(h('p', { class: 'muted empty' }, t('complaints.none')));
    else list.appendChild(complaintsTable(complaints, lights, (c) => selectComplaint(detail, c.complaint_id, lights, seq, rerender)));
    list.appendChild(h('div', { class: 'pager' },
      h('button', { type: 'button', class: 'ghost', disabled: paging.index === 0, onclick: () => { paging.index--; rerender(); } }, '← ' + t('cases.prev')),
      h('span', { class: 'muted' }, t('cases.page', { n: paging.index + 1 }), ' · ', t('complaints.count', { n: complaints.length })),
      h('button', { type: 'button', class: 'ghost', disabled: !data.next_page_token, onclick: () => { paging.index++; rerender(); } }, t('cases.next') + ' →')));
    if (p.id) selectComplaint(detail, p.id, lights, seq, rerender);
  }).catch((e) => {
    if (!current(seq)) return;
    list.textContent = '';
    list.appendChild(errorBox(e.message));
  });
}

function targetOf(c) {
  return [
    c.case_id ? caseLink(c.case_id, c.case_number || c.case_id) : null,
    c.department_id ? h('span', null, deptName(c.department_id)) : null,
    c.window_id ? h('span', { class: 'mono' }, c.window_id) : null,
    c.person_id ? h('span', { class: 'mono' }, c.person_id) : null,
  ].filter(Boolean).flatMap((el, i) => (i ? [' · ', el] : [el]));
}
const complainant = (c) => [c.complainant_name, c.complainant_phone].filter(Boolean).join(' · ') || t('complaint.anonymous');
const isOpen = (c) => c.state === 'COMPLAINT_STATE_FILED' || c.state === 'COMPLAINT_STATE_ACCEPTED';
const dueOf = (c) => (c.state === 'COMPLAINT_STATE_FILED' ? c.acceptance_due_at : c.state === 'COMPLAINT_STATE_ACCEPTED' ? c.handling_due_at : '');

function lightCell(c, clock) {
  if (clock) return lightBadge(clock.light);
  if (!isOpen(c)) return h('span', { class: 'status finished' }, t('status.finished'));
  return h('span', { class: 'muted' }, '—');
}

function complaintsTable(complaints, lights, onSelect) {
  const head = h('tr', null, ['col.light', 'col.complaint_number', 'col.category', 'col.target', 'col.complainant', 'col.filed',
    'col.state', 'col.due'].map((k) => h('th', { scope: 'col' }, t(k))));
  const rows = complaints.map((c) => {
    const clock = lights.get(c.complaint_id);
    const tr = h('tr', { class: 'row-link row-' + lightClass(clock && clock.light),
      dataset: { complaintId: c.complaint_id || '', number: c.complaint_number || '', state: c.state || '', light: (clock && clock.light) || '' } },
    h('td', { class: 'nowrap' }, lightCell(c, clock)),
    h('td', { class: 'mono nowrap' }, c.complaint_number || c.complaint_id, h('div', { class: 'muted' }, tv('cchannel.', c.channel))),
    h('td', { class: 'nowrap' }, tv('cat.', c.category)),
    h('td', null, targetOf(c)),
    h('td', null, complainant(c)),
    h('td', { class: 'nowrap' }, fmtTime(c.filed_at)),
    h('td', null, h('span', { class: 'state-chip cstate-' + (c.state || '').replace('COMPLAINT_STATE_', '').toLowerCase() }, tv('cstate.', c.state))),
    h('td', { class: 'nowrap' }, fmtTime(dueOf(c)) || '—'));
    tr.addEventListener('click', (ev) => { if (!ev.target.closest('a')) onSelect(c); });
    return tr;
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'complaints-table' }, h('thead', null, head), h('tbody', null, rows)));
}

// A row clicked (or ?id= in the hash): the complaint fetched afresh, beside the list.
async function selectComplaint(detail, id, lights, seq, rerender) {
  for (const tr of $$('#complaints-table tbody tr')) tr.classList.toggle('selected', tr.dataset.complaintId === id);
  S.route.params.id = id;
  history.replaceState(null, '', hashOf(Object.assign({}, S.route.params)));
  detail.textContent = '';
  detail.appendChild(h('p', { class: 'muted' }, t('case.loading')));
  let c;
  try {
    c = await get('/v1/complaints/' + encodeURIComponent(id));
  } catch (e) {
    if (!current(seq)) return;
    detail.textContent = '';
    detail.appendChild(errorBox(e.message));
    return;
  }
  if (!current(seq) || S.route.params.id !== id) return;
  renderDetail(detail, c, lights.get(c.complaint_id), rerender);
}

function block(title, text, meta, cls) {
  return h('div', { class: 'notice-block' + (cls ? ' ' + cls : '') }, h('h4', null, title), text ? h('p', null, text) : null,
    meta ? h('p', { class: 'muted' }, meta) : null);
}
const metaOf = (at, by) => [fmtTime(at), actorText(by)].filter(Boolean).join(' · ');

function renderDetail(detail, c, clock, rerender) {
  detail.textContent = '';
  detail.dataset.complaintId = c.complaint_id || '';
  detail.dataset.state = c.state || '';
  detail.dataset.outcome = c.outcome || '';
  append(detail, [
    h('div', { class: 'sheet-head' },
      h('h2', { class: 'mono' }, c.complaint_number || c.complaint_id),
      h('span', { class: 'state-chip', id: 'complaint-state' }, tv('cstate.', c.state)),
      clock ? lightBadge(clock.light) : null),
    h('dl', { class: 'facts compact' },
      fact(t('col.category'), tv('cat.', c.category)),
      fact(t('col.channel'), tv('cchannel.', c.channel)),
      fact(t('col.target'), targetOf(c)),
      fact(t('col.complainant'), complainant(c)),
      fact(t('col.filed'), fmtTime(c.filed_at)),
      fact(t('complaint.filed_by'), c.channel === 'COMPLAINT_CHANNEL_PHONE' ? actorText(c.filed_by) : ''),
      fact(t('complaint.acceptance_due'), fmtTime(c.acceptance_due_at)),
      fact(t('complaint.handling_due'), fmtTime(c.handling_due_at)),
      fact(clock ? tv('kind.', clock.kind) : '', clock ? fmtTime(clock.due) : ''),
      fact(t('complaint.reply'), c.reply ? tv('reply.', c.reply) : '')),
    h('div', { class: 'notice-block' }, h('h4', null, t('complaint.description')), h('p', { class: 'complaint-text' }, c.description || '')),
    c.acceptance_decided_at ? block(t('complaint.acceptance'), c.acceptance_reasons, metaOf(c.acceptance_decided_at, c.acceptance_decided_by)) : null,
    c.department_response
      ? block(t('complaint.response'), c.department_response, metaOf(c.responded_at, c.responded_by), 'complaint-response')
      : c.state === 'COMPLAINT_STATE_ACCEPTED' ? h('p', { class: 'muted' }, t('complaint.noresponse')) : null,
    c.outcome ? block(t('complaint.outcome') + ' · ' + tv('outcome.', c.outcome), c.outcome_reasons,
      [metaOf(c.concluded_at, c.concluded_by), t(c.on_time ? 'complaint.ontime' : 'complaint.late')].filter(Boolean).join(' · '),
      'decision complaint-outcome') : null,
  ]);
  // What the caller may do next, and nothing else.
  if (isInspector() && c.state === 'COMPLAINT_STATE_FILED') detail.appendChild(acceptanceForm(c, rerender));
  if (isInspector() && c.state === 'COMPLAINT_STATE_ACCEPTED') {
    detail.appendChild(concludeForm(c, rerender));
    detail.appendChild(noticeForm(c));
  }
  if (isStaff() && c.state === 'COMPLAINT_STATE_ACCEPTED' && c.department_id === S.me.department_id) detail.appendChild(respondForm(c, rerender));
}

function acceptanceForm(c, rerender) {
  const reasons = h('textarea', { name: 'reasons', rows: '2', required: true, maxlength: '2000' });
  const dept = h('select', { name: 'department_id' }, [['', '—']].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)]))
    .map(([v, l]) => h('option', { value: v, selected: v === (c.department_id || '') }, l)));
  const error = errorLine();
  const form = h('form', { class: 'decide-form', id: 'complaint-acceptance' },
    h('label', null, h('span', null, t('complaint.reasons')), reasons),
    h('label', null, h('span', null, t('complaint.route')), dept));
  const decide = (accept) => {
    const run = busyAction(form, error, async () => {
      const done = await post(`/v1/complaints/${encodeURIComponent(c.complaint_id)}:decide-acceptance`,
        { accept, reasons: reasons.value.trim(), department_id: accept ? dept.value : '' });
      toast(t('complaint.decided.ok', { n: c.complaint_number, state: tv('cstate.', done.state || '') }), '', null, 'info');
      rerender();
    });
    return () => (reasons.value.trim() ? run() : reasons.reportValidity());
  };
  form.addEventListener('submit', (ev) => ev.preventDefault());
  append(form, [h('div', { class: 'row end' },
    h('button', { type: 'button', class: 'primary', dataset: { decision: 'accept' }, onclick: decide(true) }, t('complaint.accept')),
    h('button', { type: 'button', class: 'primary danger', dataset: { decision: 'not-accept' }, onclick: decide(false) }, t('complaint.notaccept'))), error]);
  return form;
}

function concludeForm(c, rerender) {
  const reasons = h('textarea', { name: 'reasons', rows: '2', required: true, maxlength: '2000' });
  const error = errorLine();
  const form = h('form', { class: 'decide-form', id: 'complaint-conclude' },
    h('label', null, h('span', null, t('complaint.reasons')), reasons));
  const conclude = (outcome) => {
    const run = busyAction(form, error, async () => {
      await post(`/v1/complaints/${encodeURIComponent(c.complaint_id)}:conclude`, { outcome, reasons: reasons.value.trim() });
      toast(t('complaint.concluded.ok', { n: c.complaint_number, outcome: tv('outcome.', outcome) }), '', null, 'info');
      rerender();
    });
    return () => (reasons.value.trim() ? run() : reasons.reportValidity());
  };
  form.addEventListener('submit', (ev) => ev.preventDefault());
  append(form, [h('div', { class: 'row end' },
    h('button', { type: 'button', class: 'primary danger', dataset: { outcome: 'valid' }, onclick: conclude('COMPLAINT_OUTCOME_VALID') }, t('complaint.valid')),
    h('button', { type: 'button', class: 'primary', dataset: { outcome: 'not-valid' }, onclick: conclude('COMPLAINT_OUTCOME_NOT_VALID') }, t('complaint.notvalid'))), error]);
  return form;
}

// A supervision notice (监察建议书) on the accepted complaint, answered by its department within
// the limit (POST /v1/notices with complaint_id; its clock is on the board like any notice's).
function noticeForm(c) {
  const reason = h('textarea', { name: 'reason', rows: '2', required: true, maxlength: '2000' });
  const days = h('input', { name: 'days', type: 'number', min: '1', max: '60', value: '3', required: true });
  const error = errorLine();
  const form = h('form', { class: 'decide-form', id: 'complaint-notice' },
    h('label', null, h('span', null, t('complaint.notice.reason')), reason),
    h('label', null, h('span', null, t('complaint.notice.days')), days),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, t('complaint.notice'))), error);
  const run = busyAction(form, error, async () => {
    const done = await post('/v1/notices', {
      complaint_id: c.complaint_id, reason: reason.value.trim(),
      response_limit: { amount: Number(days.value), unit: 'LIMIT_UNIT_WORKING_DAYS' },
    });
    const notice = done.notice || done;
    toast(t('complaint.notice.ok', { n: c.complaint_number, id: notice.notice_id || '' }), '', null, 'info');
    reason.value = '';
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (reason.value.trim() && days.checkValidity()) run(); else form.reportValidity();
  });
  return form;
}

function respondForm(c, rerender) {
  const text = h('textarea', { name: 'response', rows: '3', required: true, maxlength: '2000' });
  text.value = c.department_response || '';
  const error = errorLine();
  const form = h('form', { class: 'respond-form', id: 'complaint-respond' },
    h('label', null, h('span', null, t('complaint.respond.text')), text),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, t(c.department_response ? 'complaint.respond.update' : 'complaint.respond'))), error);
  const run = busyAction(form, error, async () => {
    await post(`/v1/complaints/${encodeURIComponent(c.complaint_id)}:respond`, { response: text.value.trim() });
    toast(t('complaint.responded.ok', { n: c.complaint_number }), '', null, 'info');
    rerender();
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); if (text.value.trim()) run(); else text.reportValidity(); });
  return form;
}

// Inspectors and administrators: a complaint taken by phone (POST /v1/complaints). Its number
// and query code stay on the page until closed: the code is given this once.
function phoneBox(rerender) {
  const panel = h('section', { class: 'panel', id: 'phone-complaint', hidden: !lastFiled });
  const button = h('button', { type: 'button', class: 'primary', id: 'phone-open', onclick: () => { panel.hidden = false; drawForm(); } }, t('phone.open'));
  const field = (key, el) => h('label', null, h('span', null, t(key)), el);
  const drawForm = () => {
    panel.textContent = '';
    const category = h('select', { name: 'category', required: true },
      h('option', { value: '' }, '—'), CATEGORIES.map((c) => h('option', { value: c }, tv('cat.', c))));
    const dept = h('select', { name: 'department_id' }, [['', '—']].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)]))
      .map(([v, l]) => h('option', { value: v }, l)));
    const input = (name, attrs) => h('input', Object.assign({ type: 'text', name, maxlength: '128' }, attrs || {}));
    const caseNumber = input('case_number', { placeholder: '20261202-000001' });
    const windowId = input('window_id');
    const personId = input('person_id');
    const name = input('complainant_name', { maxlength: '64' });
    const phone = input('complainant_phone', { type: 'tel', maxlength: '32' });
    const description = h('textarea', { name: 'description', rows: '3', required: true, maxlength: '2000' });
    const error = errorLine();
    const requestId = 'console-' + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    const form = h('form', { class: 'phone-form', id: 'phone-form' },
      sectionHead(t('phone.title')),
      h('p', { class: 'muted' }, t('phone.hint')),
      h('div', { class: 'form-grid' },
        field('col.category', category), field('phone.case', caseNumber), field('phone.department', dept),
        field('phone.window', windowId), field('phone.person', personId), field('phone.name', name), field('phone.phone', phone)),
      field('complaint.description', description),
      h('div', { class: 'row end' },
        h('button', { type: 'button', class: 'ghost', onclick: () => { panel.hidden = true; } }, t('password.cancel')),
        h('button', { type: 'submit', class: 'primary', id: 'phone-submit' }, t('phone.submit'))), error);
    const run = busyAction(form, error, async () => {
      const filed = await post('/v1/complaints', {
        category: category.value, case_number: caseNumber.value.trim(), department_id: dept.value,
        window_id: windowId.value.trim(), person_id: personId.value.trim(), description: description.value.trim(),
        complainant_name: name.value.trim(), complainant_phone: phone.value.trim(), request_id: requestId,
      });
      const c = filed.complaint || {};
      lastFiled = { number: c.complaint_number, id: c.complaint_id, code: filed.query_code || '' };
      toast(t('complaint.decided.ok', { n: c.complaint_number, state: tv('cstate.', c.state) }), '', null, 'info');
      rerender();
    });
    form.addEventListener('submit', (ev) => { ev.preventDefault(); if (form.reportValidity()) run(); });
    panel.appendChild(form);
    setTimeout(() => category.focus(), 0);
  };
  if (lastFiled) {
    const f = lastFiled;
    append(panel, [h('div', { class: 'filed-box', id: 'phone-filed', dataset: { number: f.number || '' } },
      h('p', null, t('phone.done', { n: f.number })),
      h('dl', { class: 'facts' }, fact(t('col.complaint_number'), h('a', { class: 'mono big', href: hashOf({ id: f.id }) }, f.number)),
        fact(t('phone.querycode'), h('span', { class: 'mono big', id: 'phone-query-code' }, f.code))),
      h('div', { class: 'row end' }, h('button', { type: 'button', class: 'ghost', onclick: () => { lastFiled = null; panel.hidden = true; } }, t('phone.close'))))]);
  }
  return { button, panel };
}
