// Supervision notices (督办) on the case page: the inspector issues one and decides on the
// answer (accept, or escalate), the department's staff answer it. Each form offers only what
// the caller may do next. refreshCase(caseId), from case_page.js, redraws the case after a
// change.
import { S, isInspector, isStaff, current } from './state.js';
import { t, tv } from './texts.js';
import { $, $$, h, append } from './dom.js';
import { ms, fmtTime, fmtLimit } from './format.js';
import { get, post } from './api.js';
import { errorBox, lightBadge, sectionHead, fact, toast, actorText } from './parts.js';
import { renderClocks } from './clocks.js';

export async function renderNotices(section, seq, c, explained, refreshCase) {
  if (!section) return;
  const caseId = c.case_id;
  const noticeClocks = new Map();
  for (const e of explained) {
    const clock = e.clock || {};
    if (clock.kind === 'CLOCK_KIND_NOTICE' && (clock.clock_id || '').startsWith('notice/')) noticeClocks.set(clock.clock_id.slice(7), clock);
  }
  const ids = new Set(noticeClocks.keys());
  for (const id of S.issuedNotices.get(caseId) || []) ids.add(id);
  const results = await Promise.all(Array.from(ids).map((id) =>
    get('/v1/notices/' + encodeURIComponent(id)).then((d) => d.notice).catch((e) => ({ notice_id: id, __error: e }))));
  if (!current(seq)) return;
  // What is typed in the forms survives the redraw (a live update may come while one types).
  const fieldKey = (el) => ((el.closest('[data-notice-id]') || { dataset: {} }).dataset.noticeId || '') + '|' + (el.name || el.id);
  const typed = new Map(Array.from(section.querySelectorAll('textarea, input, select'), (el) => [fieldKey(el), el.value]));
  const focused = section.contains(document.activeElement) ? fieldKey(document.activeElement) : null;
  section.textContent = '';
  section.appendChild(sectionHead(t('case.notices')));
  if (isInspector()) section.appendChild(issueForm(c, refreshCase));
  const notices = results.filter(Boolean).sort((a, b) => (ms(b.issued_at) || 0) - (ms(a.issued_at) || 0));
  if (!notices.length) section.appendChild(h('p', { class: 'muted empty' }, t('case.nonotices')));
  const list = h('div', { class: 'notices', id: 'notices' });
  for (const n of notices) list.appendChild(noticeCard(n, noticeClocks.get(n.notice_id), c, refreshCase));
  section.appendChild(list);
  for (const el of section.querySelectorAll('textarea, input, select')) {
    const key = fieldKey(el);
    if (typed.has(key)) el.value = typed.get(key);
    if (key === focused) el.focus();
  }
}

function issueForm(c, refreshCase) {
  const reason = h('textarea', { name: 'reason', rows: '2', required: true, id: 'notice-reason' });
  reason.value = t('notice.reason.default');
  const amount = h('input', { type: 'number', name: 'amount', min: '1', max: '60', value: '2', required: true, id: 'notice-amount' });
  const unit = h('select', { name: 'unit', id: 'notice-unit' },
    h('option', { value: 'LIMIT_UNIT_WORKING_DAYS' }, t('unit.working')),
    h('option', { value: 'LIMIT_UNIT_NATURAL_DAYS' }, t('unit.natural')));
  const error = h('p', { class: 'error', hidden: true, role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary danger', id: 'notice-submit' }, t('notice.submit'));
  const form = h('form', { class: 'issue-form', id: 'issue-notice' },
    h('h3', null, t('notice.issue')),
    h('label', null, h('span', null, t('notice.reason')), reason),
    h('div', { class: 'row' },
      h('label', null, h('span', null, t('notice.limit')), h('span', { class: 'inline' }, amount, unit)),
      submit),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const data = await post('/v1/notices', {
        case_id: c.case_id,
        reason: reason.value.trim(),
        response_limit: { amount: Number(amount.value), unit: unit.value },
      });
      const n = data.notice || {};
      if (!S.issuedNotices.has(c.case_id)) S.issuedNotices.set(c.case_id, new Set());
      S.issuedNotices.get(c.case_id).add(n.notice_id);
      toast(t('notice.issued.ok', { id: n.notice_id }), c.case_number || '', null, 'info');
      const seq = S.renderSeq;
      const clk = await get('/v1/cases/' + encodeURIComponent(c.case_id) + '/clocks').catch(() => ({ clocks: [] }));
      if (!current(seq)) return;
      renderClocks($('#case-clocks'), clk.clocks || [], S.caseProcess);
      await renderNotices($('#case-notices'), seq, c, clk.clocks || [], refreshCase);
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  return form;
}

function noticeCard(n, clock, c, refreshCase) {
  if (n.__error) return h('article', { class: 'notice' }, h('header', null, h('strong', { class: 'mono' }, n.notice_id)), errorBox(n.__error.message));
  const state = n.state || 'NOTICE_STATE_UNSPECIFIED';
  const stateClass = state.replace('NOTICE_STATE_', '').toLowerCase();
  const card = h('article', { class: 'notice notice-' + stateClass, dataset: { noticeId: n.notice_id || '', state } },
    h('header', null,
      h('strong', { class: 'mono' }, n.notice_id),
      h('span', { class: 'notice-state state-' + stateClass }, tv('notice.', state)),
      clock ? lightBadge(clock.light) : null),
    h('p', { class: 'notice-reason' }, n.reason || ''),
    h('dl', { class: 'facts compact' },
      fact(t('notice.issued_by'), [fmtTime(n.issued_at), n.issued_by ? ' · ' + actorText(n.issued_by) : ''].join('')),
      fact(t('notice.response_due'), [fmtTime(n.response_due), n.response_limit ? ' (' + fmtLimit(n.response_limit) + ')' : ''].join(''))));
  if (n.response) {
    card.appendChild(h('div', { class: 'notice-block' }, h('h4', null, t('notice.response')), h('p', null, n.response),
      h('p', { class: 'muted' }, [fmtTime(n.responded_at), actorText(n.responded_by)].filter(Boolean).join(' · '))));
  } else if (state === 'NOTICE_STATE_ISSUED') {
    card.appendChild(h('p', { class: 'muted' }, t('notice.awaiting')));
  }
  if (n.decision) {
    card.appendChild(h('div', { class: 'notice-block decision' }, h('h4', null, t('notice.decision')), h('p', null, n.decision),
      h('p', { class: 'muted' }, [fmtTime(n.decided_at), actorText(n.decided_by)].filter(Boolean).join(' · '))));
  }
  // What the caller may do next, and nothing else.
  if (isInspector()) {
    const overdue = state === 'NOTICE_STATE_ISSUED' && clock && clock.light === 'LIGHT_RED';
    if (state === 'NOTICE_STATE_ANSWERED' || overdue) card.appendChild(decideForm(n, c, overdue, refreshCase));
  } else if (isStaff() && state === 'NOTICE_STATE_ISSUED' && n.department_id === S.me.department_id) {
    card.appendChild(respondForm(n, refreshCase));
  }
  return card;
}

function decideForm(n, c, overdueOnly, refreshCase) {
  const text = h('textarea', { name: 'text', rows: '2', required: true });
  const error = h('p', { class: 'error', hidden: true, role: 'alert' });
  const form = h('form', { class: 'decide-form' },
    overdueOnly ? h('p', { class: 'note' }, t('notice.decide.hint')) : null,
    h('label', null, h('span', null, t('notice.decide.text')), text));
  const decide = async (decision) => {
    if (!text.value.trim()) { text.reportValidity(); return; }
    error.hidden = true;
    for (const b of $$('button', form)) b.disabled = true;
    try {
      const data = await post('/v1/notices/' + encodeURIComponent(n.notice_id) + ':decide', { decision, text: text.value.trim() });
      toast(t('notice.decided.ok', { id: n.notice_id, state: tv('notice.', (data.notice || {}).state || decision) }), '', null, 'info');
      await refreshCase(c.case_id);
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      for (const b of $$('button', form)) b.disabled = false;
    }
  };
  const buttons = h('div', { class: 'row end' },
    overdueOnly ? null : h('button', { type: 'button', class: 'primary', dataset: { decision: 'accept' }, onclick: () => decide('NOTICE_STATE_ACCEPTED') }, t('notice.accept')),
    h('button', { type: 'button', class: 'primary danger', dataset: { decision: 'escalate' }, onclick: () => decide('NOTICE_STATE_ESCALATED') }, t('notice.escalate')));
  form.addEventListener('submit', (ev) => ev.preventDefault());
  append(form, [buttons, error]);
  return form;
}

function respondForm(n, refreshCase) {  // n: the notice
  const text = h('textarea', { name: 'response', rows: '3', required: true });
  const error = h('p', { class: 'error', hidden: true, role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('notice.respond'));
  const form = h('form', { class: 'respond-form' },
    h('label', null, h('span', null, t('notice.respond.text')), text), h('div', { class: 'row end' }, submit), error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await post('/v1/notices/' + encodeURIComponent(n.notice_id) + ':respond', { response: text.value.trim() });
      toast(t('notice.responded.ok', { id: n.notice_id }), '', null, 'info');
      await refreshCase(n.case_id);
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  return form;
}
