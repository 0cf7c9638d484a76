// Attendance (考勤): a month's sheets, one per person with a post (GET /v1/attendance/{month}),
// one person's days with late, left early, absent and away marked and the punches behind them
// (GET /v1/attendance/{month}/{person_id}), and the corrections of missed punches (补卡)
// waiting for a decision (GET /v1/attendance-corrections?pending=true): the department's
// leader approves or rejects them, staff ask for their own.
import { S, isStaff, current } from './state.js';
import { t, tv, deptName } from './texts.js';
import { $$, h, append } from './dom.js';
import { num, ms, fmtTime, fmtPoints, thisMonth, addMonths, CAL_OFFSET_MS } from './format.js';
import { get, post, qs } from './api.js';
import { errorBox, sectionHead, fact, toast, actorText, busyAction, errorLine, MONTH_RE, monthFilter } from './parts.js';

const hashOf = (params) => '#/attendance' + qs(params);
const isLeader = () => isStaff() && S.me.role === 'leader';
const hhmm = (ts) => (ts ? fmtTime(ts).slice(11) : '');
const COLS = ['days_scheduled', 'days_present', 'days_late', 'days_left_early', 'days_absent', 'days_away'];

export function renderAttendanceView(view, seq, rerender) {
  const p = S.route.params;
  const month = MONTH_RE.test(p.month || '') ? p.month : thisMonth();
  const staff = isStaff();
  const department = staff ? S.me.department_id : p.department_id || '';
  const params = { month, department_id: staff ? '' : department };
  const go = (changes) => { location.hash = hashOf(Object.assign({}, params, changes)); };

  const sheets = h('section', { class: 'panel', id: 'attendance-sheets' }, h('p', { class: 'muted' }, t('case.loading')));
  const days = h('section', { class: 'panel', id: 'attendance-days' }, h('p', { class: 'muted empty' }, t('att.select')));
  const corrections = h('section', { class: 'panel', id: 'attendance-corrections' }, sectionHead(t('att.corrections')), h('p', { class: 'muted' }, t('case.loading')));
  append(view, [
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('att.title')), h('p', { class: 'muted' }, t('att.sub')))),
    staff ? h('p', { class: 'note' }, t('staffview', { d: deptName(department) })) : null,
    h('div', { class: 'filters panel', id: 'attendance-filters' }, monthFilter('attendance-month', month, (m) => go({ month: m }), addMonths),
      staff ? null : h('label', null, h('span', null, t('cases.department')),
        h('select', { name: 'department_id', onchange: (ev) => go({ department_id: ev.target.value }) },
          [['', t('cases.all')]].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)]))
            .map(([v, l]) => h('option', { value: v, selected: v === department }, l))))),
    h('div', { class: 'split-layout' },
      h('div', { class: 'split-main' }, sheets, days),
      h('div', { class: 'split-side' }, corrections, staff ? requestForm(rerender) : null)),
  ]);

  const namesP = get('/v1/staff-assignments' + qs({ department_id: params.department_id }))
    .then((d) => new Map((d.assignments || []).map((a) => [a.person_id, a.name || '']))).catch(() => new Map());
  Promise.all([get(`/v1/attendance/${month}` + qs({ department_id: params.department_id })), namesP]).then(([data, names]) => {
    if (!current(seq)) return;
    renderSheets(sheets, data.sheets || [], names, month, (person) => selectPerson(days, month, person, names, seq));
    if (p.person) selectPerson(days, month, p.person, names, seq);
  }).catch((e) => {
    if (!current(seq)) return;
    sheets.textContent = '';
    sheets.appendChild(errorBox(e.message));
  });
  get('/v1/attendance-corrections' + qs({ pending: 'true', department_id: params.department_id })).then((data) => {
    if (current(seq)) renderCorrections(corrections, data.corrections || [], rerender);
  }).catch((e) => {
    if (!current(seq)) return;
    corrections.textContent = '';
    append(corrections, [sectionHead(t('att.corrections')), errorBox(e.message)]);
  });
}

const personLabel = (id, names) => (names.get(id) ? `${names.get(id)} (${id})` : id);

function renderSheets(section, sheets, names, month, onSelect) {
  section.textContent = '';
  section.appendChild(sectionHead(t('att.sheets', { m: month })));
  if (!sheets.length) { section.appendChild(h('p', { class: 'muted empty' }, t('att.none'))); return; }
  const head = h('tr', null, ['att.col.person', 'col.department', 'stats.dim.window', ...COLS.map((c) => 'att.col.' + c.slice(5)), 'att.col.score']
    .map((k, i) => h('th', { scope: 'col', class: i > 2 ? 'num' : '' }, t(k))));
  const rows = sheets.map((s) => {
    const faults = num(s.days_late) + num(s.days_left_early) + num(s.days_absent) + num(s.days_away);
    const tr = h('tr', { class: 'row-link' + (faults ? ' row-yellow' : ''), dataset: { person: s.person_id || '' } },
      h('td', null, h('strong', null, personLabel(s.person_id, names))),
      h('td', null, deptName(s.department_id)),
      h('td', { class: 'mono' }, s.window_id || '—'),
      COLS.map((c) => h('td', { class: 'num' + (c !== 'days_scheduled' && c !== 'days_present' && num(s[c]) ? ' bad' : '') }, String(num(s[c])))),
      h('td', { class: 'num points' }, fmtPoints(s.score_centipoints)));
    tr.addEventListener('click', () => onSelect(s.person_id));
    return tr;
  });
  section.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'attendance-table' }, h('thead', null, head), h('tbody', null, rows))));
}

async function selectPerson(section, month, person, names, seq) {
  for (const tr of $$('#attendance-table tbody tr')) tr.classList.toggle('selected', tr.dataset.person === person);
  S.route.params.person = person;
  history.replaceState(null, '', hashOf(Object.assign({}, S.route.params)));
  section.textContent = '';
  section.appendChild(h('p', { class: 'muted' }, t('case.loading')));
  let sheet;
  try {
    sheet = await get(`/v1/attendance/${month}/${encodeURIComponent(person)}`);
  } catch (e) {
    if (!current(seq)) return;
    section.textContent = '';
    section.appendChild(errorBox(e.message));
    return;
  }
  if (!current(seq) || S.route.params.person !== person) return;
  section.textContent = '';
  section.dataset.person = person;
  section.appendChild(sectionHead(t('att.days', { p: personLabel(person, names) }),
    h('span', { class: 'detail-total' }, fmtPoints(sheet.score_centipoints))));
  const weekdays = S.lang === 'zh' ? ['日', '一', '二', '三', '四', '五', '六'] : ['Su', 'Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa'];
  const rows = (sheet.days || []).map((d) => {
    const marks = dayMarks(d);
    const wd = new Date(Date.parse(d.day + 'T00:00:00Z')).getUTCDay();
    return h('tr', { class: 'day-row' + ((d.hours || []).length ? '' : ' rest'), dataset: { day: d.day || '', marks: marks.map((m) => m.kind).join(' ') } },
      h('td', { class: 'mono nowrap' }, d.day, ' ', h('span', { class: 'muted' }, weekdays[wd])),
      h('td', { class: 'mono' }, (d.hours || []).map((x) => `${x.start}–${x.end}`).join(', ') || '—'),
      h('td', { class: 'mono' }, hhmm(d.signed_in_at) || '—'),
      h('td', { class: 'mono' }, hhmm(d.signed_out_at) || '—'),
      h('td', null, marks.map((m) => h('span', { class: 'mark mark-' + m.kind }, m.text))),
      h('td', { class: 'mono small' }, (d.punches || []).map((sp, i) => [i ? ' ' : '',
        h('span', { class: 'punch' + (sp.correction_id ? ' corrected' : ''), title: sp.device_id || '' },
          hhmm(sp.corrected_at), sp.correction_id ? ` (${t('att.punch.correction')})` : '')])));
  });
  section.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data compact', id: 'attendance-days-table' },
    h('thead', null, h('tr', null, ['att.col.day', 'att.col.hours', 'att.col.in', 'att.col.out', 'att.col.marks', 'att.col.punches'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, rows))));
}

function dayMarks(d) {
  if (!(d.hours || []).length) return [{ kind: 'rest', text: t('att.mark.rest') }];
  const out = [];
  if (d.absent) out.push({ kind: 'absent', text: t('att.mark.absent') });
  if (num(d.late_minutes)) out.push({ kind: 'late', text: t('att.mark.late', { n: num(d.late_minutes) }) });
  if (num(d.left_early_minutes)) out.push({ kind: 'left_early', text: t('att.mark.left_early', { n: num(d.left_early_minutes) }) });
  if (num(d.away_minutes)) out.push({ kind: 'away', text: t('att.mark.away', { n: num(d.away_minutes) }) });
  if (!out.length) out.push(d.closed ? { kind: 'ok', text: t('att.mark.ok') } : { kind: 'open', text: t('att.mark.open') });
  return out;
}

function renderCorrections(section, list, rerender) {
  section.textContent = '';
  section.appendChild(sectionHead(t('att.corrections')));
  if (!isLeader()) section.appendChild(h('p', { class: 'muted' }, t('att.leaderonly')));
  if (!list.length) { section.appendChild(h('p', { class: 'muted empty' }, t('att.corrections.none'))); return; }
  section.appendChild(h('div', { class: 'notices', id: 'corrections-list' }, list.map((c) => {
    const card = h('article', { class: 'notice correction', dataset: { correctionId: c.correction_id || '', state: c.state || '' } },
      h('header', null, h('strong', { class: 'mono' }, c.correction_id), h('span', { class: 'notice-state appeal-filed' }, tv('corr.', c.state))),
      h('dl', { class: 'facts compact' },
        fact(t('att.col.person'), c.person_id), fact(t('col.department'), deptName(c.department_id)),
        fact(t('att.correction.at'), fmtTime(c.at)), fact(t('att.correction.kind'), tv('punch.', c.kind || 'PUNCH_KIND_UNSPECIFIED'))),
      h('p', { class: 'notice-reason' }, c.reasons || ''),
      h('p', { class: 'muted' }, [fmtTime(c.filed_at), actorText(c.filed_by)].filter(Boolean).join(' · ')));
    if (isLeader() && c.department_id === S.me.department_id) {
      card.appendChild(c.person_id === S.me.user_id ? h('p', { class: 'note' }, t('att.correction.own')) : decideForm(c, rerender));
    }
    return card;
  })));
}

function decideForm(c, rerender) {
  const text = h('textarea', { name: 'decision', rows: '2', maxlength: '2000' });
  const error = errorLine();
  const form = h('form', { class: 'decide-form' }, h('label', null, h('span', null, t('att.correction.decision')), text));
  const decide = (approve) => busyAction(form, error, async () => {
    const done = await post(`/v1/attendance-corrections/${encodeURIComponent(c.correction_id)}:decide`, { approve, decision: text.value.trim() });
    toast(t('att.decided.ok', { id: c.correction_id, state: tv('corr.', done.state || '') }), '', null, 'info');
    rerender();
  });
  form.addEventListener('submit', (ev) => ev.preventDefault());
  append(form, [h('div', { class: 'row end' },
    h('button', { type: 'button', class: 'primary', dataset: { decision: 'approve' }, onclick: decide(true) }, t('att.approve')),
    h('button', { type: 'button', class: 'primary danger', dataset: { decision: 'reject' }, onclick: decide(false) }, t('att.reject'))), error]);
  return form;
}

// Staff ask for a missed punch: their own, or (the leader) a colleague's. The instant typed is
// the calendar's local time (Asia/Shanghai).
function requestForm(rerender) {
  const at = h('input', { type: 'datetime-local', name: 'at', required: true });
  const kind = h('select', { name: 'kind' }, ['PUNCH_KIND_IN', 'PUNCH_KIND_OUT', 'PUNCH_KIND_UNSPECIFIED'].map((k) => h('option', { value: k }, tv('punch.', k))));
  const reasons = h('textarea', { name: 'reasons', rows: '2', required: true, maxlength: '2000' });
  const person = isLeader() ? h('input', { type: 'text', name: 'person_id', maxlength: '64', placeholder: S.me.user_id }) : null;
  const error = errorLine();
  const form = h('form', { class: 'panel action-form', id: 'correction-request' },
    sectionHead(t('att.request')),
    person ? h('label', null, h('span', null, t('att.request.person')), person) : null,
    h('label', null, h('span', null, t('att.correction.at')), at),
    h('label', null, h('span', null, t('att.correction.kind')), kind),
    h('label', null, h('span', null, t('att.correction.reasons')), reasons),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, t('att.request.submit'))), error);
  const run = busyAction(form, error, async () => {
    const local = Date.parse(at.value + ':00Z') - CAL_OFFSET_MS;
    const c = await post('/v1/attendance-corrections', {
      person_id: person ? person.value.trim() : '', at: new Date(local).toISOString(), kind: kind.value, reasons: reasons.value.trim(),
    });
    toast(t('att.requested.ok', { id: c.correction_id || '' }), '', null, 'info');
    rerender();
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); if (form.reportValidity() && !isNaN(ms(at.value + ':00Z'))) run(); });
  return form;
}
