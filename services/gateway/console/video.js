// Video (视频), for inspectors and the system administrator: the recordings' storage, the
// conduct events waiting for an inspector (GET /v1/video/conduct-events?decision=PENDING),
// each with its snapshot, its hold's clip and, for an inspector, the confirm / dismiss form
// with the reason required (POST /v1/video/conduct-events/{id}:decide); the footage kept
// (GET /v1/video/holds) with its clips; and the hall's cameras with their recorder's state,
// today's coverage (GET /v1/video/cameras/{id}/coverage) and how far they are recorded.
import { isInspector, current } from './state.js';
import { t, tv, deptName } from './texts.js';
import { h, append } from './dom.js';
import { num, fmtTime, fmtBytes } from './format.js';
import { get, post, qs } from './api.js';
import { errorBox, caseLink, sectionHead, toast, busyAction, errorLine, actorText } from './parts.js';
import { clipPlayer, snapshotImage } from './video_clips.js';

const EVENT_LIMIT = 50;

const loading = () => h('p', { class: 'muted' }, t('case.loading'));
const failed = (e) => (e.status === 503 ? h('p', { class: 'muted empty' }, t('video.unavailable')) : errorBox(e.message));
const camState = (state) => h('span', { class: 'state-chip camstate-' + String(state || '').replace('CAMERA_STATE_', '').toLowerCase() },
  tv('camstate.', state || 'CAMERA_STATE_UNSPECIFIED'));
export const timeRange = (start, end) => `${fmtTime(start, true)} – ${end ? fmtTime(end, true) : t('video.event.ongoing')}`;
const percent = (ratio) => (Number(ratio || 0) * 100).toFixed(1) + '%';

export function renderVideoView(view, seq, rerender) {
  const storage = h('div', { class: 'totals', id: 'video-storage' }, loading());
  const events = h('section', { class: 'panel', id: 'video-events' }, sectionHead(t('video.events')), loading());
  const holds = h('section', { class: 'panel', id: 'video-holds' }, sectionHead(t('video.holds')), loading());
  const cameras = h('section', { class: 'panel', id: 'video-cameras' }, sectionHead(t('video.cameras')), loading());
  append(view, [
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('video.title')), h('p', { class: 'muted' }, t('video.sub')))),
    storage,
    h('div', { class: 'split-layout' }, h('div', { class: 'split-main' }, events, holds), h('div', { class: 'split-side' }, cameras)),
  ]);
  get('/v1/video/storage').then((s) => { if (current(seq)) renderStorage(storage, s); })
    .catch((e) => { if (current(seq)) { storage.textContent = ''; storage.appendChild(failed(e)); } });
  renderEvents(events, seq, rerender);
  renderHolds(holds, seq);
  renderCameras(cameras, seq);
}

function renderStorage(box, s) {
  box.textContent = '';
  append(box, [
    h('span', { class: 'total', id: 'video-used' }, h('span', { class: 'total-label' }, t('video.storage.used')),
      h('b', null, fmtBytes(num(s.used_bytes))), num(s.quota_bytes) ? ' / ' + fmtBytes(num(s.quota_bytes)) : ''),
    h('span', { class: 'total' }, h('span', { class: 'total-label' }, t('video.storage.held')), h('b', null, fmtBytes(num(s.held_bytes)))),
    h('span', { class: 'muted' }, [t('video.storage.retention', { n: num(s.retention_days) }),
      s.oldest_segment ? ' · ' + t('video.storage.oldest', { t: fmtTime(s.oldest_segment) }) : ''].join('')),
    s.holds_over_quota ? h('p', { class: 'error-box', role: 'alert' }, t('video.storage.over')) : null,
  ]);
}

async function renderEvents(section, seq, rerender) {
  let data;
  try {
    data = await get('/v1/video/conduct-events' + qs({ decision: 'CONDUCT_DECISION_PENDING', limit: EVENT_LIMIT }));
  } catch (e) {
    if (!current(seq)) return;
    section.textContent = '';
    append(section, [sectionHead(t('video.events')), failed(e)]);
    return;
  }
  if (!current(seq)) return;
  const list = data.events || [];
  section.textContent = '';
  section.appendChild(sectionHead(t('video.events'), h('span', { class: 'muted' }, t('video.events.count', { n: list.length }))));
  if (!list.length) { section.appendChild(h('p', { class: 'muted empty' }, t('video.events.none'))); return; }
  section.appendChild(h('ol', { class: 'conduct-list' }, list.map((e) => eventCard(e, rerender))));
}

function eventCard(e, rerender) {
  const what = [e.camera_id, e.window_id, deptName(e.department_id),
    num(e.peak_people) ? t('video.event.peak', { n: num(e.peak_people) }) : ''].filter(Boolean).join(' · ');
  return h('li', { class: 'conduct-card', dataset: { event: e.event_id || '' } },
    h('div', { class: 'sheet-head' }, h('h3', null, tv('crule.', e.rule)), h('span', { class: 'mono small muted' }, e.event_id)),
    h('p', null, what),
    h('p', { class: 'muted' }, timeRange(e.start, e.end)),
    h('div', { class: 'conduct-media' },
      num(e.snapshot_bytes) ? snapshotImage(e.event_id) : h('p', { class: 'muted small' }, t('video.snapshot.none')),
      e.hold_id ? clipPlayer(e.hold_id) : null),
    isInspector() ? decideForm(e, rerender) : h('p', { class: 'note' }, t('video.event.readonly')));
}

function decideForm(e, rerender) {
  const reason = h('textarea', { name: 'reason', rows: '2', required: true, maxlength: '2000' });
  const error = errorLine();
  const form = h('form', { class: 'decide-form', dataset: { event: e.event_id || '' } },
    h('label', null, h('span', null, t('video.decide.reason')), reason));
  const decide = (decision) => {
    const run = busyAction(form, error, async () => {
      await post(`/v1/video/conduct-events/${encodeURIComponent(e.event_id)}:decide`, { decision, reason: reason.value.trim() });
      toast(t('video.decided.ok', { e: e.event_id, d: tv('cdecision.', decision) }), '', null, 'info');
      rerender();
    });
    return () => (reason.value.trim() ? run() : reason.reportValidity());
  };
  form.addEventListener('submit', (ev) => ev.preventDefault());
  append(form, [h('div', { class: 'row end' },
    h('button', { type: 'button', class: 'primary danger', dataset: { decision: 'confirm' }, onclick: decide('CONDUCT_DECISION_CONFIRMED') }, t('video.decide.confirm')),
    h('button', { type: 'button', class: 'primary', dataset: { decision: 'dismiss' }, onclick: decide('CONDUCT_DECISION_DISMISSED') }, t('video.decide.dismiss'))), error]);
  return form;
}

// The holds of the center, or of one case (case_page.js): each with its clip on demand.
export function holdsTable(holds, player) {
  const head = h('tr', null, ['video.col.camera', 'video.col.range', 'video.col.kind', 'video.col.reason', 'video.col.by', '']
    .map((k) => h('th', { scope: 'col' }, k ? t(k) : '')));
  const rows = holds.map((hd) => h('tr', { dataset: { hold: hd.hold_id || '' } },
    h('td', { class: 'mono nowrap' }, hd.camera_id || ''),
    h('td', { class: 'nowrap' }, timeRange(hd.start, hd.end)),
    h('td', null, tv('holdkind.', hd.kind), hd.case_id ? h('div', null, caseLink(hd.case_id, hd.case_number || hd.case_id)) : null),
    h('td', null, hd.reason || ''),
    h('td', { class: 'muted' }, actorText(hd.created_by)),
    h('td', { class: 'nowrap' }, h('button', { type: 'button', class: 'ghost', onclick: () => {
      player.textContent = '';
      append(player, [h('p', { class: 'muted small' }, `${hd.camera_id} · ${timeRange(hd.start, hd.end)}`), clipPlayer(hd.hold_id, true)]);
    } }, t('video.holds.play')))));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data compact video-holds' }, h('thead', null, head), h('tbody', null, rows)));
}

async function renderHolds(section, seq) {
  let data;
  try {
    data = await get('/v1/video/holds');
  } catch (e) {
    if (!current(seq)) return;
    section.textContent = '';
    append(section, [sectionHead(t('video.holds')), failed(e)]);
    return;
  }
  if (!current(seq)) return;
  const holds = data.holds || [];
  section.textContent = '';
  section.appendChild(sectionHead(t('video.holds')));
  if (!holds.length) { section.appendChild(h('p', { class: 'muted empty' }, t('video.holds.none'))); return; }
  const player = h('div', { class: 'hold-player', id: 'video-hold-player' });
  append(section, [holdsTable(holds, player), player]);
}

async function renderCameras(section, seq) {
  let cameras;
  try {
    cameras = (await get('/v1/video/cameras')).cameras || [];
  } catch (e) {
    if (!current(seq)) return;
    section.textContent = '';
    append(section, [sectionHead(t('video.cameras')), failed(e)]);
    return;
  }
  // Today's coverage of each (the center's local day: the service's default).
  const coverage = await Promise.all(cameras.map((c) =>
    get('/v1/video/cameras/' + encodeURIComponent(c.camera_id) + '/coverage').catch(() => null)));
  if (!current(seq)) return;
  section.textContent = '';
  section.appendChild(sectionHead(t('video.cameras')));
  if (!cameras.length) { section.appendChild(h('p', { class: 'muted empty' }, t('video.cameras.none'))); return; }
  const head = h('tr', null, ['video.col.camera', 'col.state', 'video.col.coverage', 'video.col.recorded_until']
    .map((k, i) => h('th', { scope: 'col', class: i === 2 ? 'num' : '' }, t(k))));
  const rows = cameras.map((c, i) => {
    const status = c.status || {};
    const recording = status.state === 'CAMERA_STATE_RECORDING';
    return h('tr', { class: recording ? '' : 'row-red', dataset: { camera: c.camera_id || '', state: status.state || '' } },
      h('td', null, c.name || c.camera_id, h('div', { class: 'mono small muted' }, [c.camera_id, c.window_id].filter(Boolean).join(' · '))),
      h('td', null, camState(status.state), !recording && status.detail ? h('div', { class: 'muted small' }, status.detail) : null),
      h('td', { class: 'num' }, coverage[i] ? percent(coverage[i].ratio) : '—'),
      h('td', { class: 'nowrap' }, fmtTime(status.recorded_until, true) || '—'));
  });
  section.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data compact', id: 'video-camera-table' },
    h('thead', null, head), h('tbody', null, rows))));
}
