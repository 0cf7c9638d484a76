// Monthly scores (绩效): a month's ranking of departments, windows or persons (GET
// /v1/scores/{month}), the sheet's state and versions, a subject's lines with the cases behind
// them, and the sheet as CSV or Excel. What each role may do with the month (publish,
// recompute, approve drafts, appeal, decide appeals) is in score_actions.js.
import { S, current } from './state.js';
import { t, tv, deptName } from './texts.js';
import { $$, h, append } from './dom.js';
import { num, fmtTime, fmtRate, fmtPoints, thisMonth, addMonths } from './format.js';
import { get, qs } from './api.js';
import { errorBox, caseLink, sectionHead, fact, actorText } from './parts.js';
import { exportBox } from './exports.js';
import { renderMonthActions, renderAppeals, appealButton } from './score_actions.js';

export const KINDS = { department: 'SUBJECT_KIND_DEPARTMENT', window: 'SUBJECT_KIND_WINDOW', person: 'SUBJECT_KIND_PERSON' };
const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

export const scoresHash = (params) => '#/scores' + qs(params);

// The subject in words: a department by name, a window or person by id with its department.
export function subjectLabel(kind, id, departmentId) {
  if (kind === 'SUBJECT_KIND_DEPARTMENT') return deptName(id);
  return departmentId ? `${id} · ${deptName(departmentId)}` : id;
}

// What happened to a case behind a line ("red", "anomaly:refusal", "notice:n3", ...).
export function whatText(what) {
  const [head, rest] = [(what || '').split(':')[0], (what || '').split(':').slice(1).join(':')];
  if (head === 'anomaly') return t('what.anomaly', { rule: tv('anomaly.', rest) });
  if (head === 'notice') return t('what.notice', { id: rest });
  return tv('what.', head) || what;
}

// Lines are deductions (cases that are not merely late), bonuses (points gained) or
// indicators (a rate: count is in basis points; the cases are the late ones).
function lineKind(line) {
  const cases = line.cases || [];
  if (cases.some((c) => c.what !== 'overdue')) return 'deduction';
  return num(line.centipoints) > 0 ? 'bonus' : 'indicator';
}

export function renderScoresView(view, seq, rerender) {
  const p = S.route.params;
  const month = MONTH_RE.test(p.month || '') ? p.month : addMonths(thisMonth(), -1);
  const kind = KINDS[p.kind] ? p.kind : 'department';
  const version = /^[1-9]\d*$/.test(p.version || '') ? p.version : '';
  const ctx = { month, kind, version, rerender, seq };

  const monthInput = h('input', { type: 'month', name: 'month', id: 'scores-month', value: month, required: true });
  monthInput.addEventListener('change', () => {
    if (MONTH_RE.test(monthInput.value)) location.hash = scoresHash({ month: monthInput.value, kind });
  });
  const tabs = h('div', { class: 'tabs', role: 'tablist', id: 'scores-tabs' }, Object.keys(KINDS).map((k) =>
    h('a', { href: scoresHash({ month, kind: k, version }), role: 'tab', class: 'tab' + (k === kind ? ' active' : ''),
      'aria-selected': String(k === kind), dataset: { kind: k } }, t('scores.kind.' + k))));
  const sheetBox = h('section', { class: 'panel', id: 'scores-sheet' }, h('p', { class: 'muted' }, t('case.loading')));
  const detail = h('section', { class: 'panel', id: 'score-detail', hidden: true });
  const actions = h('section', { class: 'panel', id: 'scores-actions', hidden: true });
  const versions = h('section', { class: 'panel', id: 'scores-versions' }, sectionHead(t('scores.versions')));
  const appeals = h('section', { class: 'panel', id: 'scores-appeals' }, sectionHead(t('appeals.title')));
  append(view, [
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, t('scores.title')), h('p', { class: 'muted' }, t('scores.sub'))),
      exportBox('scores-export', (format) => `/v1/scores/${month}:export` + qs({ format, version }))),
    h('div', { class: 'filters panel' },
      h('label', null, h('span', null, t('scores.month')), monthInput),
      h('div', { class: 'filter-actions' },
        h('button', { type: 'button', class: 'ghost', onclick: () => { location.hash = scoresHash({ month: addMonths(month, -1), kind }); } }, '← ' + t('scores.prev')),
        h('button', { type: 'button', class: 'ghost', onclick: () => { location.hash = scoresHash({ month: addMonths(month, 1), kind }); } }, t('scores.next') + ' →'))),
    tabs,
    h('div', { class: 'scores-layout' },
      h('div', { class: 'scores-main' }, sheetBox, detail),
      h('div', { class: 'scores-side' }, actions, versions, appeals)),
  ]);

  const sheetP = get(`/v1/scores/${month}` + qs({ version, kind: KINDS[kind] }));
  const versionsP = get(`/v1/scores/${month}/versions`).then((d) => d.versions || []).catch((e) => ({ __error: e }));
  const appealsP = get('/v1/appeals' + qs({ month })).then((d) => d.appeals || []).catch((e) => ({ __error: e }));
  sheetP.then(async (sheet) => {
    if (!current(seq)) return;
    renderSheet(sheetBox, detail, sheet, ctx);
    const [list, filed] = await Promise.all([versionsP, appealsP]);
    if (!current(seq)) return;
    renderVersions(versions, list, sheet, ctx);
    await renderMonthActions(actions, sheet, list.__error ? [] : list, ctx);
    renderAppeals(appeals, filed, sheet, ctx);
  }).catch((e) => {
    if (!current(seq)) return;
    sheetBox.textContent = '';
    sheetBox.appendChild(errorBox(e.message));
    versions.remove();
    appeals.remove();
  });
}

function renderSheet(box, detail, sheet, ctx) {
  box.textContent = '';
  const state = sheet.state || 'SHEET_STATE_UNSPECIFIED';
  box.dataset.state = state;
  box.dataset.version = String(num(sheet.version));
  const head = h('div', { class: 'sheet-head' },
    h('h2', null, t('scores.ranking', { m: sheet.month || ctx.month, k: t('scores.kind.' + ctx.kind) })),
    h('span', { class: 'state-chip sheet-state sheet-' + state.replace('SHEET_STATE_', '').toLowerCase(), id: 'sheet-state' }, tv('sheet.', state)),
    num(sheet.version) ? h('span', { class: 'state-chip', id: 'sheet-version' }, t('scores.version', { v: num(sheet.version) })) : null);
  const facts = h('dl', { class: 'facts compact' },
    fact(state === 'SHEET_STATE_OPEN' ? t('scores.computed') : t('scores.computed.at'), fmtTime(sheet.computed_at)),
    fact(t('scores.published'), sheet.published_at ? [fmtTime(sheet.published_at), actorText(sheet.published_by)].filter(Boolean).join(' · ') : ''),
    fact(t('scores.reason'), sheet.reason),
    fact(t('scores.rules'), sheet.rule_set_hash ? h('span', { class: 'mono', title: sheet.rule_set_hash }, sheet.rule_set_hash.slice(0, 12)) : ''),
    fact(t('scores.calendar'), sheet.calendar_version));
  append(box, [head, facts]);
  if (state === 'SHEET_STATE_OPEN') box.appendChild(h('p', { class: 'note' }, t('scores.open.note')));
  const scores = (sheet.scores || []).filter((s) => s.kind === KINDS[ctx.kind]);
  if (!scores.length) { box.appendChild(h('p', { class: 'muted empty' }, t('scores.none'))); return; }

  const head2 = h('tr', null, ['scores.col.rank', 'scores.col.subject', 'scores.col.points', 'scores.col.change',
    'col.completed', 'scores.col.ontime'].map((k) => h('th', { scope: 'col', class: k === 'scores.col.subject' ? '' : 'num' }, t(k))));
  const rows = scores.map((s) => {
    const m = s.measures || {};
    const completed = num(m.completed);
    const tr = h('tr', { class: 'row-link', dataset: { subject: s.subject_id, rank: String(num(s.rank)), points: String(num(s.total_centipoints)) } },
      h('td', { class: 'num rank' }, String(num(s.rank))),
      h('td', null, h('strong', null, subjectLabel(s.kind, s.subject_id, s.department_id)),
        s.kind === 'SUBJECT_KIND_DEPARTMENT' ? h('span', { class: 'dept-id' }, ' ' + s.subject_id) : null),
      h('td', { class: 'num points' }, fmtPoints(s.total_centipoints)),
      h('td', { class: 'num' }, changeCell(s)),
      h('td', { class: 'num' }, String(completed)),
      h('td', { class: 'num' }, completed ? fmtRate(Math.round(num(m.completed_on_time) * 10000 / completed)) : '—'));
    tr.addEventListener('click', () => selectSubject(box, detail, sheet, s, ctx));
    return tr;
  });
  box.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'scores-table' }, h('thead', null, head2), h('tbody', null, rows))));
  const chosen = scores.find((s) => s.subject_id === S.route.params.subject);
  if (chosen) selectSubject(box, detail, sheet, chosen, ctx);
}

function changeCell(s) {
  if (s.previous_month_centipoints === undefined || s.previous_month_centipoints === null) {
    return h('span', { class: 'muted', title: t('scores.noprevious') }, '—');
  }
  const d = num(s.total_centipoints) - num(s.previous_month_centipoints);
  const title = t('scores.previous', { p: fmtPoints(s.previous_month_centipoints) });
  if (d === 0) return h('span', { class: 'change same', title }, '＝ 0.00');
  return h('span', { class: 'change ' + (d > 0 ? 'up' : 'down'), title },
    (d > 0 ? '▲ +' : '▼ −') + fmtPoints(Math.abs(d)));
}

// A row clicked: its lines and cases below the ranking; the hash remembers it (without a
// hashchange, so nothing is fetched again).
function selectSubject(box, detail, sheet, s, ctx) {
  for (const tr of $$('#scores-table tbody tr', box)) tr.classList.toggle('selected', tr.dataset.subject === s.subject_id);
  S.route.params.subject = s.subject_id;
  history.replaceState(null, '', scoresHash({ month: ctx.month, kind: ctx.kind, version: ctx.version, subject: s.subject_id }));
  detail.hidden = false;
  detail.textContent = '';
  detail.dataset.subject = s.subject_id;
  detail.appendChild(sectionHead(t('scores.detail', { s: subjectLabel(s.kind, s.subject_id, s.department_id) }),
    h('span', { class: 'detail-total' }, t('scores.total', { p: fmtPoints(s.total_centipoints), r: num(s.rank) }))));
  const lines = s.lines || [];
  if (!lines.length) detail.appendChild(h('p', { class: 'muted empty' }, t('scores.nolines')));
  for (const line of lines) {
    const lk = lineKind(line);
    const cp = num(line.centipoints);
    const cases = line.cases || [];
    detail.appendChild(h('div', { class: 'score-line line-' + lk, dataset: { clause: line.clause || '', kind: lk } },
      h('div', { class: 'line-head' },
        h('strong', { class: 'line-clause' }, line.clause || ''),
        h('span', { class: 'line-points ' + (cp < 0 ? 'neg' : cp > 0 ? 'pos' : '') }, (cp > 0 ? '+' : cp < 0 ? '−' : '') + fmtPoints(Math.abs(cp))),
        h('span', { class: 'muted line-count' }, lk === 'indicator' ? t('scores.rate', { r: fmtRate(line.count) }) : t('scores.count', { n: num(line.count) }))),
      cases.length ? h('ul', { class: 'line-cases' }, cases.map((c) => {
        // A deduction of no case (an attendance day, a complaint against a department) names
        // its source ("attendance/<person>/<day>"): shown as text, not as a case link.
        const source = (c.case_id || '').includes('/');
        const body = [source ? h('span', { class: 'case-source' }, c.case_id) : caseLink(c.case_id, c.case_number || c.case_id),
          ' ', h('span', { class: 'case-what' }, whatText(c.what)),
          ' ', h('time', { class: 'muted', datetime: c.at || '' }, fmtTime(c.at))];
        return h('li', { class: c.appealed_away ? 'appealed' : '', dataset: { caseId: c.case_id || '', what: c.what || '' } },
          c.appealed_away ? [h('s', null, body), ' ', h('span', { class: 'muted' }, t('scores.appealed'))] : body,
          lk === 'deduction' && !c.appealed_away ? appealButton(sheet, s, line, c, ctx) : null);
      })) : null));
  }
}

function renderVersions(section, list, sheet, ctx) {
  section.textContent = '';
  section.appendChild(sectionHead(t('scores.versions')));
  if (list.__error) { section.appendChild(errorBox(list.__error.message)); return; }
  if (!list.length) { section.appendChild(h('p', { class: 'muted empty' }, t('scores.noversions'))); return; }
  const shown = num(sheet.version);
  section.appendChild(h('ol', { class: 'versions', id: 'versions-list' }, list.slice().reverse().map((v) => {
    const n = num(v.version);
    const state = v.state || '';
    return h('li', { class: n === shown ? 'current' : '', dataset: { version: String(n), state } },
      h('a', { href: scoresHash({ month: ctx.month, kind: ctx.kind, version: String(n) }) }, t('scores.version', { v: n })),
      ' ', h('span', { class: 'state-chip sheet-' + state.replace('SHEET_STATE_', '').toLowerCase() }, tv('sheet.', state)),
      h('div', { class: 'muted' }, [fmtTime(v.published_at || v.computed_at), actorText(v.published_by), v.reason].filter(Boolean).join(' · ')));
  })));
}
