// Alerts: the tab's store of them (GET /v1/alerts and live arrivals), the unseen badge, an
// alert in words and as a list item, and the alerts page.
import { S, current } from './state.js';
import { t, tv, deptName } from './texts.js';
import { $, $$, h, append } from './dom.js';
import { fmtTime } from './format.js';
import { get, qs } from './api.js';
import { errorBox, lightClass, caseLink } from './parts.js';

// S.alerts keeps the order in which supervision raised them (GET /v1/alerts order, then live
// arrivals); pages show them newest first. occurred_at is the threshold instant, which need
// not follow that order.
export function addAlert(alert, live) {
  if (!alert.alert_id || S.alertIds.has(alert.alert_id)) return false;
  S.alertIds.add(alert.alert_id);
  alert.__live = !!live;
  S.alerts.push(alert);
  return true;
}
export const newestAlerts = () => S.alerts.slice().reverse();

export async function loadAlerts() {
  S.alertsError = '';
  const session = S.token;
  try {
    const fetched = [];
    let token = '';
    for (let page = 0; page < 20; page++) {
      const data = await get('/v1/alerts' + qs({ page_size: 500, page_token: token }));
      fetched.push(...(data.alerts || []));
      token = data.next_page_token || '';
      if (!token) break;
    }
    if (S.token !== session) return;
    const known = new Map(S.alerts.map((a) => [a.alert_id, a]));
    const ids = new Set(fetched.map((a) => a.alert_id));
    const merged = fetched.map((a) => Object.assign(a, { __live: !!(known.get(a.alert_id) || {}).__live }));
    for (const a of S.alerts) if (!ids.has(a.alert_id)) merged.push(a);
    S.alerts = merged;
    S.alertIds = new Set(merged.map((a) => a.alert_id));
  } catch (e) {
    if (e.status === 401) return;
    S.alertsError = e.message;
  }
  S.alertsLoaded = true;
}

export function updateBadge() {
  const badge = $('#alert-badge');
  badge.textContent = S.unseen > 99 ? '99+' : String(S.unseen);
  badge.hidden = S.unseen === 0;
}

// The alert in words of the current language (the service's own message is English; it
// stays available as the tooltip).
export function alertText(a) {
  if (a.kind === 'ALERT_KIND_ANOMALY') return t('alerts.anomaly.text', { what: tv('anomaly.', a.anomaly) });
  const prefix = (a.clock_id || '').split('/')[0];
  const kind = { case: 'CLOCK_KIND_CASE', step: 'CLOCK_KIND_STEP', procedure: 'CLOCK_KIND_PROCEDURE', notice: 'CLOCK_KIND_NOTICE', appeal: 'CLOCK_KIND_APPEAL',
    rectification: 'CLOCK_KIND_RECTIFICATION', 'complaint-acceptance': 'CLOCK_KIND_COMPLAINT_ACCEPTANCE', complaint: 'CLOCK_KIND_COMPLAINT' }[prefix];
  const what = kind ? t('kind.' + kind) : t('alerts.clock');
  const key = { LIGHT_RED: 'alerts.text.red', LIGHT_YELLOW: 'alerts.text.yellow', LIGHT_GREEN: 'alerts.text.green' }[a.light];
  return key ? t(key, { what }) : a.message || '';
}

export function alertToastTitle(a) {
  const what = a.kind === 'ALERT_KIND_ANOMALY' ? tv('anomaly.', a.anomaly) : tv('light.', a.light);
  return [a.case_number || a.case_id || a.subject_ref, what, deptName(a.department_id)].filter(Boolean).join(' · ');
}

// Where an alert leads: a complaint's clocks to the complaint, a rectification's to the
// rating, the others to their case.
export function alertHref(a) {
  const [prefix, ...rest] = (a.clock_id || '').split('/');
  const id = rest.join('/');
  if ((prefix === 'complaint' || prefix === 'complaint-acceptance') && id) return '#/complaints' + qs({ id });
  if (prefix === 'rectification' && id) return '#/evaluations' + qs({ filter: 'rectification', case: id });
  return a.case_id ? '#/case/' + encodeURIComponent(a.case_id) : null;
}

export function alertItem(a) {
  const tone = a.kind === 'ALERT_KIND_ANOMALY' ? 'anomaly' : lightClass(a.light);
  return h('li', {
    class: 'alert-item tone-' + tone + (a.__live ? ' live' : ''),
    dataset: { alertId: a.alert_id, caseId: a.case_id || '', light: a.light || '', kind: a.kind || '' },
  },
    h('span', { class: 'alert-mark' }),
    h('div', { class: 'alert-body' },
      h('div', { class: 'alert-title' },
        a.case_id ? caseLink(a.case_id, a.case_number || a.case_id) : null,
        !a.case_id && a.subject_ref ? h('a', { class: 'case-link', href: alertHref(a) || '#/alerts' }, a.subject_ref) : null,
        h('span', { class: 'alert-what' }, a.kind === 'ALERT_KIND_ANOMALY' ? tv('anomaly.', a.anomaly) : tv('light.', a.light)),
        h('span', { class: 'alert-dept' }, deptName(a.department_id))),
      h('div', { class: 'alert-msg', title: a.message || '' }, alertText(a),
        a.responsible_person ? h('span', { class: 'muted' }, ' · ' + a.responsible_person) : null),
      h('time', { class: 'alert-time', datetime: a.occurred_at || '' }, fmtTime(a.occurred_at))));
}

export function renderAlertsView(view, seq) {
  S.unseen = 0;
  updateBadge();
  const p = S.route.params;
  const kinds = [['', t('alerts.all')], ['ALERT_KIND_LIGHT', t('alerts.light')], ['ALERT_KIND_ANOMALY', t('alerts.anomaly')]];
  const form = h('form', { class: 'filters panel', id: 'alerts-filters' },
    h('label', null, h('span', null, t('alerts.kind')),
      h('select', { name: 'kind' }, kinds.map(([v, l]) => h('option', { value: v, selected: (p.kind || '') === v }, l)))),
    h('label', null, h('span', null, t('cases.department')),
      h('select', { name: 'department_id' }, [['', t('cases.all')]].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)]))
        .map(([v, l]) => h('option', { value: v, selected: (p.department_id || '') === v }, l)))));
  for (const s of $$('select', form)) {
    s.addEventListener('change', () => {
      const q = {};
      for (const [k, v] of new FormData(form).entries()) if (v) q[k] = v;
      location.hash = '#/alerts' + qs(q);
    });
  }
  append(view, [
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('alerts.title')), h('p', { class: 'muted' }, t('alerts.sub')))),
    form,
    h('div', { class: 'panel' }, h('ol', { class: 'alert-list', id: 'alert-list' }, h('li', { class: 'muted' }, t('case.loading')))),
  ]);
  if (S.alertsLoaded) renderAlertsList();
  else loadAlerts().then(() => { if (current(seq)) renderAlertsList(); });
}

export function renderAlertsList() {
  const list = $('#alert-list');
  if (!list) return;
  const p = S.route.params;
  list.textContent = '';
  if (S.alertsError) list.appendChild(h('li', null, errorBox(S.alertsError)));
  const shown = newestAlerts().filter((a) => (!p.kind || a.kind === p.kind) && (!p.department_id || a.department_id === p.department_id));
  if (!shown.length && !S.alertsError) list.appendChild(h('li', { class: 'muted empty' }, t('alerts.none')));
  for (const a of shown.slice(0, 500)) list.appendChild(alertItem(a));
}
