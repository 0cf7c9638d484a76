// A message written by hand (手工发送短消息): an inspector or the administrator writes to a
// case's applicant (by case id: text message, else e-mail; after quiet hours) or to every
// member of a department's staff with a contact (POST /v1/messages, audited by the gateway).
// The answer lists the notifications made, one per recipient, which the notifications tab
// then follows like any other.
import { S } from './state.js';
import { t, tv, deptName } from './texts.js';
import { h, append } from './dom.js';
import { post } from './api.js';
import { sectionHead, toast, busyAction, errorLine } from './parts.js';

// A request id per form shown: a retried submission (a double click, a lost answer) sends
// nothing twice.
const newRequestId = () => 'console-' + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + '-' + Math.random().toString(36).slice(2));

export function renderMessageForm(view) {
  const p = S.route.params;
  let requestId = newRequestId();
  const to = h('select', { name: 'to' }, [['department', t('msg.to.department')], ['case', t('msg.to.case')]]
    .map(([v, l]) => h('option', { value: v, selected: v === (p.case_id ? 'case' : 'department') }, l)));
  const dept = h('select', { name: 'department_id' }, [['', '—']].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)]))
    .map(([v, l]) => h('option', { value: v }, l)));
  const caseId = h('input', { type: 'text', name: 'case_id', value: p.case_id || '', maxlength: '128', placeholder: 'c000000000001' });
  const text = h('textarea', { name: 'text', rows: '4', maxlength: '300', required: true });
  const deptField = h('label', null, h('span', null, t('cases.department')), dept);
  const caseField = h('label', null, h('span', null, t('msg.case')), caseId);
  const show = () => { deptField.hidden = to.value !== 'department'; caseField.hidden = to.value !== 'case'; };
  to.addEventListener('change', show);
  show();
  const result = h('div', { id: 'message-result' });
  const error = errorLine();
  const form = h('form', { class: 'action-form panel', id: 'message-form' },
    sectionHead(t('msg.title')),
    h('p', { class: 'muted' }, t('msg.hint')),
    h('div', { class: 'form-grid' }, h('label', null, h('span', null, t('msg.to')), to), deptField, caseField),
    h('label', { class: 'wide' }, h('span', null, t('msg.text')), text),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary', id: 'message-send' }, t('msg.send'))),
    error, result);
  const run = busyAction(form, error, async () => {
    const body = { request_id: requestId, text: text.value.trim() };
    if (to.value === 'case') body.case_id = caseId.value.trim();
    else body.department_id = dept.value;
    const sent = await post('/v1/messages', body);
    const notifications = sent.notifications || [];
    toast(t('msg.sent.ok', { n: notifications.length }), '', null, 'info');
    result.textContent = '';
    append(result, [h('ul', { class: 'plain' }, notifications.map((n) =>
      h('li', { dataset: { key: n.key || '' } },
        h('a', { href: '#/notifications?key=' + encodeURIComponent(n.key || '') }, n.recipient || n.key),
        ' · ', [tv('nchannel.', n.channel), n.to].filter(Boolean).join(' '),
        ' · ', tv('nstate.', n.state || 'STATE_UNSPECIFIED'))))]);
    requestId = newRequestId();
    text.value = '';
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); if (form.reportValidity()) run(); });
  view.appendChild(form);
}
