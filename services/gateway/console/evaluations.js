// Evaluations (好差评): a month's results per window or person (GET /v1/statistics with
// dimension WINDOW / PERSON and period MONTH: ratings by level, satisfaction, return-visit and
// on-time rectification rates), the ratings themselves (GET /v1/evaluations) with the
// rectifications due and the reviews pending, each rectification with the light of its
// supervision clock, and one rating's details. The department's staff record the return visit
// (回访整改) and ask for a review (申诉复核); inspectors decide the review.
import { S, isInspector, isStaff, current } from './state.js';
import { t, tv, deptName } from './texts.js';
import { $$, h, append } from './dom.js';
import { num, fmtTime, fmtRate, thisMonth, addMonths } from './format.js';
import { get, post, qs } from './api.js';
import { errorBox, lightBadge, lightClass, caseLink, sectionHead, fact, toast, actorText, busyAction, errorLine, MONTH_RE, monthFilter } from './parts.js';
import { openVoiceClocks, RECTIFICATION_KINDS } from './voice_lights.js';

const LEVELS = ['VERY_SATISFIED', 'SATISFIED', 'BASICALLY_SATISFIED', 'DISSATISFIED', 'VERY_DISSATISFIED'];
const BAD = new Set(['DISSATISFIED', 'VERY_DISSATISFIED']);
const KINDS = { window: 'DIMENSION_WINDOW', person: 'DIMENSION_PERSON' };
const FILTERS = ['', 'rectification', 'review'];

const hashOf = (params) => '#/evaluations' + qs(params);
const rate = (a, b) => (b ? fmtRate(Math.round((a * 10000) / b)) : '—');
const lastDay = (month) => {
  const [y, m] = month.split('-').map(Number);
  return `${month}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`;
};

export function renderEvaluationsView(view, seq, rerender) {
  const p = S.route.params;
  const month = MONTH_RE.test(p.month || '') ? p.month : thisMonth();
  const kind = KINDS[p.kind] ? p.kind : 'window';
  const filter = FILTERS.includes(p.filter) ? p.filter : '';
  const staff = isStaff();
  const department = staff ? S.me.department_id : p.department_id || '';
  const params = { month, kind, filter, department_id: staff ? '' : department };
  const go = (changes) => { location.hash = hashOf(Object.assign({}, params, changes)); };

  const tabs = (items, value, key, id) => h('div', { class: 'tabs', role: 'tablist', id }, items.map(([v, label]) =>
    h('a', { href: hashOf(Object.assign({}, params, { [key]: v })), role: 'tab', class: 'tab' + (v === value ? ' active' : ''),
      'aria-selected': String(v === value), dataset: { [key]: v || 'all' } }, label)));
  const results = h('section', { class: 'panel', id: 'evals-results' }, h('p', { class: 'muted' }, t('case.loading')));
  const list = h('section', { class: 'panel', id: 'evals-list' }, h('p', { class: 'muted' }, t('case.loading')));
  const detail = h('section', { class: 'panel', id: 'eval-detail' }, h('p', { class: 'muted empty' }, t('evals.select')));
  const deptSelect = staff ? null : h('label', null, h('span', null, t('cases.department')),
    h('select', { name: 'department_id', onchange: (ev) => go({ department_id: ev.target.value }) },
      [['', t('cases.all')]].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)]))
        .map(([v, l]) => h('option', { value: v, selected: v === department }, l))));
  append(view, [
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('evals.title')), h('p', { class: 'muted' }, t('evals.sub')))),
    staff ? h('p', { class: 'note' }, t('staffview', { d: deptName(department) })) : null,
    h('div', { class: 'filters panel', id: 'evals-filters' }, monthFilter('evals-month', month, (m) => go({ month: m }), addMonths), deptSelect),
    tabs(Object.keys(KINDS).map((k) => [k, t('evals.kind.' + k)]), kind, 'kind', 'evals-kinds'),
    results,
    h('div', { class: 'split-layout' },
      h('div', { class: 'split-main' }, tabs(FILTERS.map((f) => [f, t('evals.filter.' + (f || 'all'))]), filter, 'filter', 'evals-filter'), list),
      h('div', { class: 'split-side' }, detail)),
  ]);

  get('/v1/statistics' + qs({ dimension: KINDS[kind], period: 'PERIOD_MONTH', from_day: month + '-01', to_day: lastDay(month) }))
    .then((data) => { if (current(seq)) renderResults(results, (data.rows || []).filter((r) => r.period === month), month, kind); })
    .catch((e) => { if (current(seq)) { results.textContent = ''; results.appendChild(errorBox(e.message)); } });

  const query = { month: filter ? '' : month, department_id: params.department_id, page_size: 200,
    rectification_open: filter === 'rectification' ? 'true' : '', review_pending: filter === 'review' ? 'true' : '' };
  Promise.all([get('/v1/evaluations' + qs(query)), openVoiceClocks(RECTIFICATION_KINDS, params.department_id)]).then(([data, lights]) => {
    if (!current(seq)) return;
    const evaluations = (data.evaluations || []).slice().sort((a, b) => String(b.rated_at || '').localeCompare(String(a.rated_at || '')));
    list.textContent = '';
    list.appendChild(sectionHead(t('evals.list'), h('span', { class: 'muted' }, t('cases.count', { n: evaluations.length }))));
    if (filter) list.appendChild(h('p', { class: 'note' }, t('evals.filter.note')));
    if (!evaluations.length) list.appendChild(h('p', { class: 'muted empty' }, t('evals.none')));
    else list.appendChild(evaluationsTable(evaluations, lights, (e) => selectEvaluation(detail, e.case_id, lights, seq, rerender)));
    if (p.case) selectEvaluation(detail, p.case, lights, seq, rerender);
  }).catch((e) => {
    if (!current(seq)) return;
    list.textContent = '';
    list.appendChild(errorBox(e.message));
  });
}

function renderResults(section, rows, month, kind) {
  section.textContent = '';
  section.appendChild(sectionHead(t('evals.results', { m: month, k: t('evals.kind.' + kind) }),
    h('span', { class: 'muted rates-hint', title: t('evals.rates.hint') }, 'ⓘ')));
  const shown = rows.filter((r) => {
    const m = r.measures || {};
    return num(m.evaluations) || num(m.rectifications) || num(m.return_visits) || num(m.rectifications_late);
  });
  if (!shown.length) { section.appendChild(h('p', { class: 'muted empty' }, t('evals.noresults'))); return; }
  const cols = ['evals.col.subject', 'evals.col.total', ...LEVELS.map((l) => 'level.' + l), 'evals.col.satisfaction',
    'evals.col.rect', 'evals.col.visits', 'evals.col.visitrate', 'eval.ontime', 'eval.late', 'evals.col.ontime'];
  const body = shown.map((r) => {
    const m = r.measures || {};
    const total = num(m.evaluations);
    const good = num(m.very_satisfied) + num(m.satisfied) + num(m.basically_satisfied);
    const onTime = num(m.rectifications_on_time);
    const late = num(m.rectifications_late);
    return h('tr', { dataset: { value: r.value || '' } },
      h('td', { class: 'mono' }, r.value || '—'),
      h('td', { class: 'num' }, String(total)),
      LEVELS.map((l) => h('td', { class: 'num' + (BAD.has(l) && num(m[l.toLowerCase()]) ? ' bad' : '') }, String(num(m[l.toLowerCase()])))),
      h('td', { class: 'num strong' }, rate(good, total)),
      h('td', { class: 'num' }, String(num(m.rectifications))),
      h('td', { class: 'num' }, String(num(m.return_visits))),
      h('td', { class: 'num' }, rate(num(m.return_visits), num(m.rectifications))),
      h('td', { class: 'num' }, String(onTime)),
      h('td', { class: 'num' + (late ? ' bad' : '') }, String(late)),
      h('td', { class: 'num strong' }, rate(onTime, onTime + late)));
  });
  append(section, [h('div', { class: 'table-wrap' }, h('table', { class: 'data compact', id: 'evals-table' },
    h('thead', null, h('tr', null, cols.map((k, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, t(k))))),
    h('tbody', null, body))), h('p', { class: 'muted small' }, t('evals.rates.hint'))]);
}

const levelChip = (level) => h('span', { class: 'level-chip level-' + (BAD.has(level) ? 'bad' : 'good'), dataset: { level: level || '' } }, tv('level.', level));

function rectificationCell(e, clock) {
  const r = e.rectification;
  if (!r || !r.state) return h('span', { class: 'muted' }, '—');
  return [clock ? lightBadge(clock.light) : null, ' ', h('span', { class: 'state-chip' }, tv('rstate.', r.state)),
    r.state === 'RECTIFICATION_STATE_OPEN' ? h('div', { class: 'muted nowrap' }, '→ ' + fmtTime(r.due_at)) : null];
}

function evaluationsTable(evaluations, lights, onSelect) {
  const head = h('tr', null, ['col.case_number', 'col.level', 'col.rated', 'col.department', 'col.subject_of', 'eval.realname',
    'col.state', 'col.rectification'].map((k) => h('th', { scope: 'col' }, t(k))));
  const rows = evaluations.map((e) => {
    const clock = lights.get(e.case_id);
    const tr = h('tr', { class: 'row-link row-' + lightClass(clock && clock.light),
      dataset: { caseId: e.case_id || '', level: e.level || '', state: e.state || '', rectification: (e.rectification || {}).state || '', light: (clock && clock.light) || '' } },
    h('td', { class: 'mono' }, caseLink(e.case_id, e.case_number || e.case_id)),
    h('td', null, levelChip(e.level)),
    h('td', { class: 'nowrap' }, fmtTime(e.rated_at), h('div', { class: 'muted' }, tv('echannel.', e.channel))),
    h('td', null, deptName(e.department_id)),
    h('td', { class: 'mono' }, [e.window_id, e.person_id].filter(Boolean).join(' · ') || '—'),
    h('td', null, t(e.real_name ? 'yes' : 'no')),
    h('td', null, h('span', { class: 'state-chip' }, tv('estate.', e.state))),
    h('td', null, rectificationCell(e, clock)));
    tr.addEventListener('click', (ev) => { if (!ev.target.closest('a')) onSelect(e); });
    return tr;
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'evaluations-table' }, h('thead', null, head), h('tbody', null, rows)));
}

async function selectEvaluation(detail, caseId, lights, seq, rerender) {
  for (const tr of $$('#evaluations-table tbody tr')) tr.classList.toggle('selected', tr.dataset.caseId === caseId);
  S.route.params.case = caseId;
  history.replaceState(null, '', hashOf(Object.assign({}, S.route.params)));
  detail.textContent = '';
  detail.appendChild(h('p', { class: 'muted' }, t('case.loading')));
  let e;
  try {
    e = await get('/v1/evaluations/' + encodeURIComponent(caseId));
  } catch (err) {
    if (!current(seq)) return;
    detail.textContent = '';
    detail.appendChild(errorBox(err.message));
    return;
  }
  if (!current(seq) || S.route.params.case !== caseId) return;
  renderDetail(detail, e, lights.get(e.case_id), rerender);
}

const metaOf = (at, by) => [fmtTime(at), actorText(by)].filter(Boolean).join(' · ');

function renderDetail(detail, e, clock, rerender) {
  detail.textContent = '';
  detail.dataset.caseId = e.case_id || '';
  detail.dataset.state = e.state || '';
  detail.dataset.rectification = (e.rectification || {}).state || '';
  const r = e.rectification || null;
  const review = e.review || null;
  const aspects = Object.entries(e.aspects || {});
  append(detail, [
    h('div', { class: 'sheet-head' }, h('h2', null, t('eval.detail', { n: e.case_number || e.case_id })), levelChip(e.level),
      h('span', { class: 'state-chip', id: 'eval-state' }, tv('estate.', e.state))),
    h('dl', { class: 'facts compact' },
      fact(t('col.case_number'), caseLink(e.case_id, e.case_number || e.case_id)),
      fact(t('col.rated'), fmtTime(e.rated_at)),
      fact(t('col.channel'), tv('echannel.', e.channel)),
      fact(t('col.department'), deptName(e.department_id)),
      fact(t('col.subject_of'), [e.window_id, e.person_id].filter(Boolean).join(' · ')),
      fact(t('eval.realname'), t(e.real_name ? 'yes' : 'no'))),
    e.comment ? h('div', { class: 'notice-block' }, h('h4', null, t('eval.comment')), h('p', null, e.comment)) : null,
    aspects.length ? h('div', { class: 'notice-block' }, h('h4', null, t('eval.aspects')),
      h('p', null, aspects.map(([a, l]) => `${tv('aspect.', a)}：${tv('level.', l)}`).join('；'))) : null,
    r && r.state ? h('div', { class: 'notice-block rectification', dataset: { state: r.state } },
      h('h4', null, t('eval.rect'), ' ', h('span', { class: 'state-chip' }, tv('rstate.', r.state)), ' ', clock ? lightBadge(clock.light) : null),
      h('dl', { class: 'facts compact' }, fact(t('eval.rect.due'), fmtTime(r.due_at)),
        fact(t('eval.return_visit'), r.return_visit), fact(t('eval.measures'), r.measures_taken),
        r.answered_at ? fact(t('col.completed'), metaOf(r.answered_at, r.answered_by) + ' · ' + t(r.on_time ? 'eval.ontime' : 'eval.late')) : null)) : null,
    review ? h('div', { class: 'notice-block review' }, h('h4', null, t('eval.review')), h('p', null, review.reasons || ''),
      h('p', { class: 'muted' }, metaOf(review.requested_at, review.requested_by)),
      review.decided ? h('p', null, h('strong', null, t(review.upheld ? 'eval.review.upheld' : 'eval.review.rejected')), ' · ', review.decision || '',
        h('span', { class: 'muted' }, ' · ' + metaOf(review.decided_at, review.decided_by))) : h('p', { class: 'muted' }, t('eval.review.pending'))) : null,
  ]);
  const own = isStaff() && e.department_id === S.me.department_id;
  if (own && r && r.state === 'RECTIFICATION_STATE_OPEN') detail.appendChild(answerForm(e, rerender));
  if (own && !review) detail.appendChild(reviewRequest(e, rerender));
  if (isInspector() && e.state === 'EVALUATION_STATE_UNDER_REVIEW') detail.appendChild(reviewDecision(e, rerender));
}

function answerForm(e, rerender) {
  const visit = h('textarea', { name: 'return_visit', rows: '2', required: true, maxlength: '2000' });
  const measures = h('textarea', { name: 'measures_taken', rows: '2', required: true, maxlength: '2000' });
  const error = errorLine();
  const form = h('form', { class: 'respond-form', id: 'rectification-form' },
    h('label', null, h('span', null, t('eval.return_visit')), visit),
    h('label', null, h('span', null, t('eval.measures')), measures),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, t('eval.answer'))), error);
  const run = busyAction(form, error, async () => {
    await post(`/v1/evaluations/${encodeURIComponent(e.case_id)}:answer-rectification`,
      { return_visit: visit.value.trim(), measures_taken: measures.value.trim() });
    toast(t('eval.answered.ok', { n: e.case_number }), '', null, 'info');
    rerender();
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); if (form.reportValidity()) run(); });
  return form;
}

// "Request a review" opens the reasons form in place.
function reviewRequest(e, rerender) {
  const holder = h('div', { class: 'review-request' });
  const open = h('button', { type: 'button', class: 'link', id: 'review-open', onclick: () => {
    open.hidden = true;
    const reasons = h('textarea', { name: 'reasons', rows: '2', required: true, maxlength: '2000' });
    const error = errorLine();
    const form = h('form', { class: 'respond-form', id: 'review-form' },
      h('label', null, h('span', null, t('eval.review.reasons')), reasons),
      h('div', { class: 'row end' },
        h('button', { type: 'button', class: 'ghost', onclick: () => { form.remove(); open.hidden = false; } }, t('password.cancel')),
        h('button', { type: 'submit', class: 'primary' }, t('eval.review.request'))), error);
    const run = busyAction(form, error, async () => {
      await post(`/v1/evaluations/${encodeURIComponent(e.case_id)}:request-review`, { reasons: reasons.value.trim() });
      toast(t('eval.review.requested.ok', { n: e.case_number }), '', null, 'info');
      rerender();
    });
    form.addEventListener('submit', (ev) => { ev.preventDefault(); if (reasons.value.trim()) run(); else reasons.reportValidity(); });
    holder.appendChild(form);
    setTimeout(() => reasons.focus(), 0);
  } }, t('eval.review.request'));
  holder.appendChild(open);
  return holder;
}

function reviewDecision(e, rerender) {
  const text = h('textarea', { name: 'decision', rows: '2', required: true, maxlength: '2000' });
  const error = errorLine();
  const form = h('form', { class: 'decide-form', id: 'review-decide' }, h('label', null, h('span', null, t('eval.review.decision')), text));
  const decide = (uphold) => {
    const run = busyAction(form, error, async () => {
      await post(`/v1/evaluations/${encodeURIComponent(e.case_id)}:decide-review`, { uphold, decision: text.value.trim() });
      toast(t('eval.review.decided.ok', { n: e.case_number, r: t(uphold ? 'eval.review.upheld' : 'eval.review.rejected') }), '', null, 'info');
      rerender();
    });
    return () => (text.value.trim() ? run() : text.reportValidity());
  };
  form.addEventListener('submit', (ev) => ev.preventDefault());
  append(form, [h('div', { class: 'row end' },
    h('button', { type: 'button', class: 'primary', dataset: { decision: 'uphold' }, onclick: decide(true) }, t('eval.review.uphold')),
    h('button', { type: 'button', class: 'primary danger', dataset: { decision: 'reject' }, onclick: decide(false) }, t('eval.review.reject'))), error]);
  return form;
}
