// What the roles do with a month's scores (scores.js draws the page): the system
// administrator publishes an ended month, recomputes a published one and approves or rejects
// the drafts (with their diff's clause-by-clause `why`); department staff appeal a deduction
// of their own department; inspectors uphold or reject the appeals. Each form offers only
// what the caller may do.
import { S, isAdmin, isInspector, isStaff } from './state.js';
import { t, tv } from './texts.js';
import { $$, h, append } from './dom.js';
import { num, fmtTime, fmtPoints, thisMonth } from './format.js';
import { get, post } from './api.js';
import { errorBox, caseLink, sectionHead, toast, actorText, busyAction } from './parts.js';
import { KINDS, subjectLabel } from './scores.js';

export async function renderMonthActions(section, sheet, versions, ctx) {
  if (!isAdmin()) return;
  section.hidden = false;
  section.textContent = '';
  section.appendChild(sectionHead(t('scores.admin')));
  const month = ctx.month;
  const error = h('p', { class: 'error', hidden: true, role: 'alert' });
  const published = versions.filter((v) => v.state === 'SHEET_STATE_PUBLISHED').pop();
  if (!versions.length) {
    if (month < thisMonth()) {
      const box = h('div', { class: 'action-box' }, h('p', { class: 'muted' }, t('scores.publish.hint')));
      box.appendChild(h('button', { type: 'button', class: 'primary', id: 'scores-publish', onclick: busyAction(box, error, async () => {
        const done = await post(`/v1/scores/${month}:publish`);
        toast(t('scores.published.ok', { m: month, v: num(done.version) }), '', null, 'info');
        ctx.rerender();
      }) }, t('scores.publish')));
      append(box, [error]);
      section.appendChild(box);
    } else {
      section.appendChild(h('p', { class: 'note' }, t('scores.notended')));
    }
    return;
  }
  if (published) {
    const reason = h('input', { type: 'text', name: 'reason', id: 'recompute-reason', required: true, maxlength: '1000' });
    const form = h('form', { class: 'action-box', id: 'recompute-form' },
      h('label', null, h('span', null, t('scores.recompute.reason')), reason),
      h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary', id: 'scores-recompute' }, t('scores.recompute'))), error);
    const run = busyAction(form, error, async () => {
      const r = await post(`/v1/scores/${month}:recompute`, { reason: reason.value.trim() });
      if (!r.draft) {
        toast(t('scores.recompute.same', { m: month }), '', null, 'info');
        for (const b of $$('button', form)) b.disabled = false;
        return;
      }
      toast(t('scores.recompute.draft', { v: num(r.draft.version) }), '', null, 'info');
      ctx.rerender();
    });
    form.addEventListener('submit', (ev) => { ev.preventDefault(); if (reason.value.trim()) run(); else reason.reportValidity(); });
    section.appendChild(form);
  }
  const drafts = versions.filter((v) => v.state === 'SHEET_STATE_DRAFT');
  for (const d of drafts) section.appendChild(await draftBox(d, published, ctx));
}

async function draftBox(d, published, ctx) {
  const v = num(d.version);
  const box = h('div', { class: 'draft', dataset: { version: String(v) } },
    h('h3', null, t('scores.draft', { v })), d.reason ? h('p', { class: 'muted' }, d.reason) : null);
  if (published) {
    try {
      const diff = await get(`/v1/scores/${ctx.month}/diff?from_version=${num(published.version)}&to_version=${v}`);
      const changes = diff.changes || [];
      if (!changes.length) box.appendChild(h('p', { class: 'muted' }, t('scores.diff.none')));
      box.appendChild(h('ul', { class: 'diff' }, changes.map((c) => h('li', { dataset: { subject: c.subject_id || '' } },
        h('strong', null, subjectLabel(c.kind, c.subject_id)), ' ',
        h('span', { class: 'muted' }, t('scores.kind.' + (Object.keys(KINDS).find((k) => KINDS[k] === c.kind) || 'department'))), ' ',
        h('span', null, `${fmtPoints(c.from_centipoints)} → ${fmtPoints(c.to_centipoints)}`),
        num(c.from_rank) !== num(c.to_rank) ? h('span', { class: 'muted' }, ' ' + t('scores.diff.rank', { a: num(c.from_rank), b: num(c.to_rank) })) : null,
        (c.why || []).length ? h('ul', { class: 'why' }, c.why.map((w) => h('li', { class: 'mono' }, w))) : null))));
    } catch (e) {
      box.appendChild(errorBox(e.message));
    }
  }
  const error = h('p', { class: 'error', hidden: true, role: 'alert' });
  const decide = (approve) => busyAction(box, error, async () => {
    await post(`/v1/scores/${ctx.month}/versions/${v}:decide`, { approve });
    toast(t(approve ? 'scores.approved' : 'scores.rejected', { v }), '', null, 'info');
    ctx.rerender();
  });
  append(box, [h('div', { class: 'row end' },
    h('button', { type: 'button', class: 'primary', dataset: { decision: 'approve' }, onclick: decide(true) }, t('scores.approve')),
    h('button', { type: 'button', class: 'primary danger', dataset: { decision: 'reject' }, onclick: decide(false) }, t('scores.reject'))), error]);
  return box;
}

// Department staff: "Appeal" beside a deduction case of their own department in a published
// sheet; it opens the reasons form in place.
export function appealButton(sheet, s, line, c, ctx) {
  if (!isStaff() || sheet.state !== 'SHEET_STATE_PUBLISHED' || s.department_id !== S.me.department_id) return null;
  const holder = h('span', { class: 'appeal-holder' });
  const button = h('button', { type: 'button', class: 'link appeal-open', onclick: () => {
    button.hidden = true;
    holder.appendChild(appealForm(sheet, s, line, c, ctx, () => { holder.textContent = ''; button.hidden = false; }));
  } }, t('appeal.open'));
  return h('span', null, ' ', button, holder);
}

function appealForm(sheet, s, line, c, ctx, close) {
  const reasons = h('textarea', { name: 'reasons', rows: '3', required: true, maxlength: '2000' });
  const error = h('p', { class: 'error', hidden: true, role: 'alert' });
  const form = h('form', { class: 'respond-form appeal-form' },
    h('label', null, h('span', null, t('appeal.reasons')), reasons),
    h('div', { class: 'row end' },
      h('button', { type: 'button', class: 'ghost', onclick: close }, t('password.cancel')),
      h('button', { type: 'submit', class: 'primary' }, t('appeal.submit'))), error);
  const run = busyAction(form, error, async () => {
    const a = await post('/v1/appeals', {
      month: sheet.month || ctx.month, kind: s.kind, subject_id: s.subject_id, clause: line.clause,
      case_id: c.case_id, reasons: reasons.value.trim(),
    });
    toast(t('appeal.filed', { id: a.appeal_id || '' }), c.case_number || '', null, 'info');
    ctx.rerender();
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); if (reasons.value.trim()) run(); else reasons.reportValidity(); });
  setTimeout(() => reasons.focus(), 0);
  return form;
}

export function renderAppeals(section, appeals, sheet, ctx) {
  section.textContent = '';
  section.appendChild(sectionHead(t('appeals.title')));
  if (appeals.__error) { section.appendChild(errorBox(appeals.__error.message)); return; }
  if (!appeals.length) { section.appendChild(h('p', { class: 'muted empty' }, t('appeals.none'))); return; }
  const numbers = new Map();
  for (const s of sheet.scores || []) for (const l of s.lines || []) for (const c of l.cases || []) numbers.set(c.case_id, c.case_number);
  section.appendChild(h('div', { class: 'notices', id: 'appeals-list' }, appeals.slice().reverse().map((a) => {
    const state = a.state || '';
    const card = h('article', { class: 'notice appeal', dataset: { appealId: a.appeal_id || '', state } },
      h('header', null, h('strong', { class: 'mono' }, a.appeal_id),
        h('span', { class: 'notice-state appeal-' + state.replace('APPEAL_STATE_', '').toLowerCase() }, tv('appeal.', state))),
      h('p', null, h('strong', null, subjectLabel(a.kind, a.subject_id, a.department_id)), ' · ', a.clause || '', ' · ',
        caseLink(a.case_id, numbers.get(a.case_id) || a.case_id)),
      h('p', { class: 'notice-reason' }, a.reasons || ''),
      h('p', { class: 'muted' }, [fmtTime(a.filed_at), actorText(a.filed_by)].filter(Boolean).join(' · ')));
    if (a.decision || a.decided_at) {
      card.appendChild(h('div', { class: 'notice-block' }, h('h4', null, t('appeal.decision')), h('p', null, a.decision || ''),
        h('p', { class: 'muted' }, [fmtTime(a.decided_at), actorText(a.decided_by),
          num(a.new_version) ? t('scores.draft', { v: num(a.new_version) }) : ''].filter(Boolean).join(' · '))));
    }
    if (isInspector() && state === 'APPEAL_STATE_FILED') card.appendChild(appealDecideForm(a, ctx));
    return card;
  })));
}

function appealDecideForm(a, ctx) {
  const text = h('textarea', { name: 'decision', rows: '2', required: true, maxlength: '2000' });
  const error = h('p', { class: 'error', hidden: true, role: 'alert' });
  const form = h('form', { class: 'decide-form' }, h('label', null, h('span', null, t('appeal.decision')), text));
  const decide = (uphold) => {
    const run = busyAction(form, error, async () => {
      const done = await post(`/v1/appeals/${encodeURIComponent(a.appeal_id)}:decide`, { uphold, decision: text.value.trim() });
      toast(t('appeal.decided', { id: a.appeal_id, state: tv('appeal.', done.state || '') }), '', null, 'info');
      ctx.rerender();
    });
    return () => (text.value.trim() ? run() : text.reportValidity());
  };
  form.addEventListener('submit', (ev) => ev.preventDefault());
  append(form, [h('div', { class: 'row end' },
    h('button', { type: 'button', class: 'primary', dataset: { decision: 'uphold' }, onclick: decide(true) }, t('appeal.uphold')),
    h('button', { type: 'button', class: 'primary danger', dataset: { decision: 'reject' }, onclick: decide(false) }, t('appeal.reject'))), error]);
  return form;
}
