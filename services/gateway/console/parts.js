// Small pieces of page that several views share: error box, light badge, case link, section
// head, fact (label and value), the name of an actor, toasts, a form button's work (busyAction)
// and the month filter of the monthly pages.
import { t, tv, deptName, roleName } from './texts.js';
import { $, $$, h } from './dom.js';

export function errorBox(message) {
  return h('div', { class: 'error-box', role: 'alert' }, t('error.generic', { m: message }));
}
export function lightClass(light) {
  return { LIGHT_GREEN: 'green', LIGHT_YELLOW: 'yellow', LIGHT_RED: 'red' }[light] || 'none';
}
export function lightBadge(light) {
  return h('span', { class: 'light-badge light-' + lightClass(light), dataset: { light: light || '' } },
    h('span', { class: 'lamp' }), tv('light.', light || 'LIGHT_UNSPECIFIED'));
}
export function caseLink(caseId, label) {
  return h('a', { href: '#/case/' + encodeURIComponent(caseId), class: 'case-link' }, label || caseId);
}
export function sectionHead(title, extra) {
  return h('div', { class: 'section-head' }, h('h2', null, title), extra || null);
}

export function fact(label, value, attrs) {
  if (value === undefined || value === null || value === '') return null;
  return h('div', Object.assign({ class: 'fact' }, attrs || {}), h('dt', null, label), h('dd', null, value));
}

export function toast(title, body, href, tone) {
  const box = $('#toasts');
  const el = h(href ? 'a' : 'div', { class: 'toast tone-' + (tone || 'info'), href: href || undefined, role: 'status' },
    h('strong', null, title), body ? h('span', null, body) : null);
  box.prepend(el);
  while (box.children.length > 4) box.lastChild.remove();
  setTimeout(() => el.classList.add('leaving'), 7000);
  setTimeout(() => el.remove(), 7600);
}

export function actorText(a) {
  if (!a) return '';
  const who = a.name || a.id || '';
  const extra = [roleName(a.role), deptName(a.department_id)].filter(Boolean).join(' · ');
  return extra ? `${who} (${extra})` : who;
}

// A form button's work: the form's buttons disabled meanwhile, the gateway's message shown in
// `error` when it fails (the buttons enabled again).
export function busyAction(form, error, work) {
  return async () => {
    error.hidden = true;
    for (const b of $$('button', form)) b.disabled = true;
    try {
      await work();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      for (const b of $$('button', form)) b.disabled = false;
    }
  };
}
export const errorLine = () => h('p', { class: 'error', hidden: true, role: 'alert' });

export const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
// The month input with previous / next month buttons; go(month) moves the page.
export function monthFilter(id, month, go, addMonths) {
  const input = h('input', { type: 'month', name: 'month', id, value: month, required: true });
  input.addEventListener('change', () => { if (MONTH_RE.test(input.value)) go(input.value); });
  return [
    h('label', null, h('span', null, t('scores.month')), input),
    h('div', { class: 'month-steps' },
      h('button', { type: 'button', class: 'ghost', onclick: () => go(addMonths(month, -1)) }, '← ' + t('scores.prev')),
      h('button', { type: 'button', class: 'ghost', onclick: () => go(addMonths(month, 1)) }, t('scores.next') + ' →')),
  ];
}
