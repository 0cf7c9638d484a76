// The case page: the case's facts, its clocks (clocks.js), timeline, steps, alerts and
// supervision notices (notices.js), for inspectors and the administrator its clips (the
// video service's holds of the case, video.js), and its live refresh when a light changes or
// an alert arrives.
import { S, isAdmin, isInspector, current } from './state.js';
import { t, tv, localName, deptName, itemName, roleName } from './texts.js';
import { $, h, append } from './dom.js';
import { num, ms, fmtTime } from './format.js';
import { get, qs } from './api.js';
import { errorBox, lightBadge, sectionHead, fact, actorText } from './parts.js';
import { alertItem } from './alerts.js';
import { renderClocks } from './clocks.js';
import { renderNotices } from './notices.js';
import { holdsTable } from './video.js';

let caseRefreshTimer = null;
export function scheduleCaseRefresh() {
  clearTimeout(caseRefreshTimer);
  caseRefreshTimer = setTimeout(() => {
    if (S.route.name === 'case') refreshCaseLive(S.renderSeq, S.route.params.id);
  }, 400);
}

export function renderCaseView(view, seq, caseId) {
  const head = h('div', { class: 'case-head panel', id: 'case-head' }, h('p', { class: 'muted' }, t('case.loading')));
  const clocks = h('section', { class: 'panel', id: 'case-clocks' }, sectionHead(t('case.clocks')), h('p', { class: 'muted' }, t('case.loading')));
  const notices = h('section', { class: 'panel', id: 'case-notices' }, sectionHead(t('case.notices')));
  const timeline = h('section', { class: 'panel', id: 'case-timeline' }, sectionHead(t('case.timeline')), h('p', { class: 'muted' }, t('case.loading')));
  const steps = h('section', { class: 'panel', id: 'case-steps' }, sectionHead(t('case.steps')));
  const alerts = h('section', { class: 'panel', id: 'case-alerts' }, sectionHead(t('case.alerts')));
  const clips = isInspector() || isAdmin()
    ? h('section', { class: 'panel', id: 'case-clips' }, sectionHead(t('video.case.clips')), h('p', { class: 'muted' }, t('case.loading')))
    : null;
  append(view, [
    h('div', { class: 'crumbs' }, h('a', { href: '#', class: 'back', onclick: (ev) => { ev.preventDefault(); if (history.length > 1) history.back(); else location.hash = '#/cases'; } }, '← ' + t('case.back'))),
    head,
    h('div', { class: 'case-grid' },
      h('div', { class: 'case-col main' }, clocks, timeline),
      h('div', { class: 'case-col side' }, notices, alerts, clips, steps)),
  ]);
  if (clips) renderCaseClips(clips, seq, caseId);

  const caseP = get('/v1/cases/' + encodeURIComponent(caseId) + '?include_history=true');
  const processP = get('/v1/cases/' + encodeURIComponent(caseId) + '/process?include_history=true').catch((e) => ({ __error: e }));
  const clocksP = get('/v1/cases/' + encodeURIComponent(caseId) + '/clocks').catch((e) => ({ __error: e }));
  const alertsP = get('/v1/alerts' + qs({ case_id: caseId, page_size: 100 })).catch((e) => ({ __error: e }));

  caseP.then(async (data) => {
    if (!current(seq)) return;
    const c = data.case || {};
    const [proc, clk, al] = await Promise.all([processP, clocksP, alertsP]);
    if (!current(seq)) return;
    const process = proc.__error ? null : proc.process || null;
    const explained = clk.__error ? [] : clk.clocks || [];
    renderCaseHead(head, c, process, explained);
    renderClocks(clocks, explained, process, clk.__error);
    renderTimeline(timeline, data.history || [], proc.__error ? [] : proc.history || []);
    renderSteps(steps, process, proc.__error);
    renderCaseAlerts(alerts, al.__error ? null : al.alerts || [], al.__error);
    await renderNotices(notices, seq, c, explained, refreshAfterNotice);
  }).catch((e) => {
    if (!current(seq)) return;
    head.textContent = '';
    head.appendChild(errorBox(e.message));
    for (const s of [clocks, timeline]) { const m = $('p.muted', s); if (m) m.remove(); }
  });
}

// A light changed or an alert arrived for the case shown: redraw its clocks, alerts and
// notices without touching forms being filled in.
async function refreshCaseLive(seq, caseId, force) {
  try {
    const [clk, al] = await Promise.all([
      get('/v1/cases/' + encodeURIComponent(caseId) + '/clocks'),
      get('/v1/alerts' + qs({ case_id: caseId, page_size: 100 })).catch(() => null),
    ]);
    if (!current(seq)) return;
    const explained = clk.clocks || [];
    const processData = S.caseProcess && S.caseProcess.case_id === caseId ? S.caseProcess : null;
    renderClocks($('#case-clocks'), explained, processData);
    const light = caseLight(explained);
    const badge = $('#case-light');
    if (badge) badge.replaceWith(Object.assign(lightBadge(light), { id: 'case-light' }));
    if (al) renderCaseAlerts($('#case-alerts'), al.alerts || []);
    const typing = document.activeElement && document.activeElement.closest && document.activeElement.closest('#case-notices');
    if ((force || !typing) && S.caseShown) await renderNotices($('#case-notices'), seq, S.caseShown, explained, refreshAfterNotice);
  } catch (e) { /* the next change tries again */ }
}

// What the notice forms call once they changed a notice: everything redrawn, forms included.
const refreshAfterNotice = (caseId) => refreshCaseLive(S.renderSeq, caseId, true);

function caseLight(explained) {
  const c = explained.map((e) => e.clock || {}).find((c) => c.kind === 'CLOCK_KIND_CASE');
  return c ? c.light : '';
}

function renderCaseHead(head, c, process, explained) {
  S.caseShown = c;
  S.caseProcess = process;
  head.textContent = '';
  head.dataset.caseId = c.case_id || '';
  const receipt = c.receipt || {};
  const light = caseLight(explained);
  const title = h('div', { class: 'case-title' },
    h('h1', { id: 'case-number' }, c.case_number || c.case_id),
    light ? Object.assign(lightBadge(light), { id: 'case-light' }) : h('span', { id: 'case-light' }),
    h('span', { class: 'state-chip' }, tv('state.', c.state)),
    process && process.state ? h('span', { class: 'state-chip' }, tv('pstate.', process.state)) : null);
  const sub = h('p', { class: 'case-sub' },
    h('span', { class: 'mono' }, c.item_code || ''), ' ', itemName(c.item_code),
    c.subject ? [' · ', h('strong', null, c.subject)] : null);
  const facts = h('dl', { class: 'facts' },
    fact(t('col.department'), deptName(c.department_id)),
    fact(t('case.applicant'), c.applicant ? [c.applicant.name || '', c.applicant.id_number ? ' ' : '', c.applicant.id_number ? h('span', { class: 'mono muted' }, c.applicant.id_number) : null] : ''),
    fact(t('case.channel'), tv('channel.', c.channel)),
    fact(t('case.submitted'), fmtTime(c.submitted_at)),
    fact(t('case.accepted'), fmtTime(receipt.accepted_at)),
    fact(t('case.window'), receipt.window_id),
    fact(t('case.receipt'), receipt.receipt_number ? h('span', { class: 'mono' }, receipt.receipt_number) : ''),
    fact(t('case.current_due'), fmtTime(c.current_due || receipt.promised_due)));
  append(head, [title, sub, facts]);
  if (isAdmin()) head.appendChild(h('p', { class: 'note' }, t('readonly')));
}

function payloadSummary(p) {
  if (!p || typeof p !== 'object') return '';
  const out = [];
  const pick = (o, path) => path.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), o);
  const add = (v) => { if (v !== undefined && v !== null && v !== '' && typeof v !== 'object') out.push(String(v)); };
  add(pick(p, 'receipt.receipt_number'));
  add(pick(p, 'receipt.window_id'));
  add(pick(p, 'step.name') && localName(pick(p, 'step.name')));
  add(pick(p, 'procedure.type'));
  add(pick(p, 'assignee'));
  add(pick(p, 'step.opinion'));
  add(pick(p, 'step.comment'));
  add(pick(p, 'decision'));
  add(pick(p, 'reasons'));
  add(pick(p, 'reason'));
  add(pick(p, 'certificate_number'));
  const missing = pick(p, 'missing_materials');
  if (Array.isArray(missing)) add(missing.map((m) => m.name || m.code).join('、'));
  return out.join(' · ');
}

function renderTimeline(section, intakeHistory, workflowHistory) {
  section.textContent = '';
  section.appendChild(sectionHead(t('case.timeline')));
  const events = intakeHistory.map((e) => Object.assign({ stream: 'intake' }, e))
    .concat(workflowHistory.map((e) => Object.assign({ stream: 'workflow' }, e)));
  events.sort((a, b) => (ms(a.occurred_at) || 0) - (ms(b.occurred_at) || 0) ||
    (a.stream === b.stream ? num(a.sequence) - num(b.sequence) : a.stream === 'intake' ? -1 : 1));
  if (!events.length) { section.appendChild(h('p', { class: 'muted empty' }, t('case.notimeline'))); return; }
  const list = h('ol', { class: 'timeline', id: 'timeline' });
  for (const e of events) {
    const payload = e.payload && typeof e.payload === 'object' ? Object.assign({}, e.payload) : null;
    if (payload) delete payload['@type'];
    const summary = payloadSummary(payload);
    const type = e.type || '';
    list.appendChild(h('li', { class: 'event ev-' + type.split('.').pop() + ' stream-' + (e.stream || ''), dataset: { type, sequence: String(num(e.sequence)) } },
      h('span', { class: 'ev-dot' }),
      h('div', { class: 'ev-main' },
        h('div', { class: 'ev-line' },
          h('strong', { class: 'ev-type' }, tv('ev.', type)),
          h('span', { class: 'ev-code mono' }, type)),
        h('div', { class: 'ev-meta' },
          h('time', { datetime: e.occurred_at || '' }, fmtTime(e.occurred_at, true)),
          e.actor ? [' · ', h('span', { class: 'ev-actor' }, actorText(e.actor))] : null),
        summary ? h('div', { class: 'ev-summary' }, summary) : null,
        payload && Object.keys(payload).length ? h('details', { class: 'ev-payload' },
          h('summary', null, t('case.payload')), h('pre', null, JSON.stringify(payload, null, 2))) : null)));
  }
  section.appendChild(list);
}

function renderSteps(section, process, error) {
  section.textContent = '';
  section.appendChild(sectionHead(t('case.steps')));
  if (error && error.status !== 404) { section.appendChild(errorBox(error.message)); return; }
  const steps = (process && process.steps) || [];
  if (!steps.length) { section.appendChild(h('p', { class: 'muted empty' }, t('case.nosteps'))); return; }
  const rows = steps.map((s) => h('tr', { class: 'step-' + (s.state || '').toLowerCase() },
    h('td', null, localName(s.name || s.code), num(s.attempt) > 1 ? ` ×${num(s.attempt)}` : ''),
    h('td', null, deptName(s.department_id), h('br'), h('span', { class: 'muted' }, roleName(s.role))),
    h('td', null, h('span', { class: 'state-chip' }, tv('step.', s.state)), s.assignee ? h('div', { class: 'muted' }, s.assignee) : null),
    h('td', { class: 'nowrap' }, fmtTime(s.started_at), h('br'), h('span', { class: 'muted' }, fmtTime(s.completed_at) || (s.due ? '→ ' + fmtTime(s.due) : '')))));
  section.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data compact' },
    h('thead', null, h('tr', null, ['col.step', 'col.department', 'col.state', 'col.time'].map((k) => h('th', null, t(k))))),
    h('tbody', null, rows))));
}

function renderCaseAlerts(section, alerts, error) {
  if (!section) return;
  section.textContent = '';
  section.appendChild(sectionHead(t('case.alerts')));
  if (error) { section.appendChild(errorBox(error.message)); return; }
  const list = (alerts || []).slice().reverse();  // raised order, newest first
  if (!list.length) { section.appendChild(h('p', { class: 'muted empty' }, t('case.noalerts'))); return; }
  section.appendChild(h('ol', { class: 'alert-list compact' }, list.map(alertItem)));
}

// The footage kept for the case (its acceptance or refusal at a window, an investigation),
// each clip loaded when asked for; nothing when the video service is not there.
async function renderCaseClips(section, seq, caseId) {
  let holds;
  try {
    holds = (await get('/v1/video/holds' + qs({ case_id: caseId }))).holds || [];
  } catch (e) {
    if (!current(seq)) return;
    section.textContent = '';
    append(section, [sectionHead(t('video.case.clips')),
      e.status === 503 ? h('p', { class: 'muted empty' }, t('video.unavailable')) : errorBox(e.message)]);
    return;
  }
  if (!current(seq)) return;
  section.textContent = '';
  section.appendChild(sectionHead(t('video.case.clips')));
  if (!holds.length) { section.appendChild(h('p', { class: 'muted empty' }, t('video.case.none'))); return; }
  const player = h('div', { class: 'hold-player', id: 'case-clip-player' });
  append(section, [holdsTable(holds, player), player]);
}
