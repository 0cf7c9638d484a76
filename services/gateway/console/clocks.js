// A case's clocks on its page: a card per clock (limit, yellow, due and red instants, rule and
// explanation) with its calendar strip, the case clock first and the others folded below it.
import { S } from './state.js';
import { TEXTS, t, tv, localName, deptName } from './texts.js';
import { $$, h } from './dom.js';
import { num, ms, fmtTime, fmtLimit, durSeconds, fmtWorkingTime, CAL_OFFSET_MS, DAY_MS, dateStartMs, calDate } from './format.js';
import { errorBox, lightClass, lightBadge, sectionHead, fact } from './parts.js';

function clockTitle(c, process) {
  const kind = tv('kind.', c.kind);
  const id = c.clock_id || '';
  if (c.kind === 'CLOCK_KIND_STEP' && process) {
    const stepId = id.replace(/^step\//, '');
    const step = (process.steps || []).find((s) => s.step_id === stepId);
    if (step) return kind + ' · ' + localName(step.name || step.code);
  }
  if (c.kind === 'CLOCK_KIND_NOTICE') return kind + ' · ' + id.replace(/^notice\//, '');
  if (c.kind === 'CLOCK_KIND_APPEAL') return kind + ' · ' + id.replace(/^appeal\//, '');
  if (c.kind === 'CLOCK_KIND_PROCEDURE') return kind + ' · ' + id.replace(/^procedure\//, '');
  if (c.subject_ref) return kind + ' · ' + c.subject_ref;
  return kind;
}

const KIND_ORDER = { CLOCK_KIND_CASE: 0, CLOCK_KIND_NOTICE: 1, CLOCK_KIND_APPEAL: 2, CLOCK_KIND_RECTIFICATION: 3, CLOCK_KIND_COMPLAINT_ACCEPTANCE: 4,
  CLOCK_KIND_COMPLAINT: 4, CLOCK_KIND_PROCEDURE: 5, CLOCK_KIND_STEP: 6 };

export function renderClocks(section, explained, process, error) {
  if (!section) return;
  const open = new Set($$('details.clock-more[open], details.clock-card[open]', section).map((d) => d.dataset.clockId || 'more'));
  section.textContent = '';
  section.appendChild(sectionHead(t('case.clocks')));
  if (error) { section.appendChild(errorBox(error.message)); return; }
  if (!explained.length) { section.appendChild(h('p', { class: 'muted empty' }, t('case.noclocks'))); return; }
  const sorted = explained.slice().sort((a, b) =>
    (KIND_ORDER[(a.clock || {}).kind] ?? 9) - (KIND_ORDER[(b.clock || {}).kind] ?? 9) ||
    (ms((a.clock || {}).started_at) || 0) - (ms((b.clock || {}).started_at) || 0));
  const primary = sorted.filter((e) => (e.clock || {}).kind === 'CLOCK_KIND_CASE');
  const others = sorted.filter((e) => (e.clock || {}).kind !== 'CLOCK_KIND_CASE');
  for (const e of primary) section.appendChild(clockCard(e, process, true));
  if (others.length) {
    const more = h('details', { class: 'clock-more', open: open.has('more') || !primary.length, dataset: { clockId: 'more' } },
      h('summary', null, t('clock.more', { n: others.length }),
        h('span', { class: 'summary-lights' }, others.map((e) => h('span', { class: 'lamp-dot light-' + lightClass((e.clock || {}).light) })))));
    for (const e of others) {
      const card = clockCard(e, process, false);
      if (open.has(card.dataset.clockId)) card.open = true;
      more.appendChild(card);
    }
    section.appendChild(more);
  }
}

function clockCard(e, process, primary) {
  const c = e.clock || {};
  const x = e.explanation || {};
  const facts = h('dl', { class: 'facts compact' },
    fact(t('clock.started'), fmtTime(c.started_at)),
    fact(t('clock.limit'), fmtLimit(c.limit) + (num(c.extension_working_days) ? ` (+${num(c.extension_working_days)} ${t('clock.extension')})` : '')),
    c.kind === 'CLOCK_KIND_CASE' ? fact(t('clock.statutory'), fmtLimit(c.statutory_limit)) : null,
    fact(t('clock.yellow_at'), fmtTime(c.yellow_at), { class: 'fact fact-yellow' }),
    fact(t('clock.due'), fmtTime(c.due), { class: 'fact fact-due' }),
    fact(t('clock.red_at'), fmtTime(c.red_at), { class: 'fact fact-red' }),
    fact(t('clock.finished_at'), fmtTime(c.finished_at)),
    x.remaining !== undefined && !c.finished_at ? fact(t('clock.remaining'), fmtWorkingTime(x.remaining)) : null,
    fact(t('clock.responsible'), [deptName(c.department_id), c.responsible_person ? ' · ' + c.responsible_person : ''].join('')),
    fact(t('clock.changed'), fmtTime(c.light_changed_at)),
    fact(t('clock.versions'), h('span', { class: 'mono' }, [c.calendar_version || '—', c.rule_version || '—'].join(' / '))));
  const body = [
    facts,
    c.plan_error ? h('div', { class: 'error-box' }, t('clock.plan_error'), ': ', c.plan_error) : null,
    calendarStrip(c, x),
    e.rule ? h('div', { class: 'explain' }, h('h4', null, t('clock.rule')), h('p', null, e.rule)) : null,
    x.summary ? h('div', { class: 'explain' }, h('h4', null, t('clock.explanation')),
      h('p', null, x.summary), x.provisional ? h('p', { class: 'note' }, t('clock.provisional')) : null) : null,
  ];
  const header = [
    h('span', { class: 'clock-title' }, clockTitle(c, process)),
    lightBadge(c.light),
    c.paused ? h('span', { class: 'status paused' }, t('clock.paused')) : null,
    c.finished_at ? h('span', { class: 'status finished' }, t('status.finished')) : null,
  ];
  const attrs = { class: 'clock-card light-edge-' + lightClass(c.light), dataset: { clockId: c.clock_id || '', kind: c.kind || '', light: c.light || '' } };
  if (primary) return h('article', attrs, h('header', { class: 'clock-head' }, header), body);
  return h('details', attrs, h('summary', { class: 'clock-head' }, header), body);
}

// The clock on a calendar strip: one cell per day (in the calendar's time zone) from the
// acceptance day to the due day as the explanation lists them (counted days filled by the
// working time they contributed; weekends, holidays and make-up days marked), extended to
// the red instant and the computation instant, with the pauses and the instants on top.
const NOTE_KEYS = Object.keys(TEXTS.zh).filter((k) => k.startsWith('note.')).sort((a, b) => b.length - a.length);
const noteKeyFor = (note) => NOTE_KEYS.find((k) => note.startsWith(k.slice(5))) || '';

function calendarStrip(c, x) {
  const explainedDays = new Map((x.days || []).map((d) => [d.date, d]));
  const instants = [
    ['start', c.started_at], ['yellow', c.yellow_at], ['due', c.due], ['red', c.red_at],
    ['finished', c.finished_at], ['asof', x.as_of],
  ].filter(([, ts]) => ts && !isNaN(ms(ts)));
  const dates = Array.from(explainedDays.keys()).sort();
  let first = dates[0] || (c.started_at ? calDate(ms(c.started_at)) : null);
  if (!first) return null;
  let last = dates[dates.length - 1] || first;
  for (const [kind, ts] of instants) {
    // An instant at 00:00 belongs to the end of the previous day.
    const d = calDate(kind === 'start' ? ms(ts) : ms(ts) - 1);
    if (d < first && kind === 'start') first = d;
    if (d > last) last = d;
  }
  const startMs = dateStartMs(first);
  let n = Math.round((dateStartMs(last) - startMs) / DAY_MS) + 1;
  // A clock far from its instants (long overdue) keeps a readable strip.
  const maxDays = Math.max(dates.length + 21, 42);
  if (n > maxDays) n = maxDays;
  const spanMs = n * DAY_MS;
  const pct = (t) => Math.max(0, Math.min(100, ((t - startMs) / spanMs) * 100));
  const weekdays = S.lang === 'zh' ? ['日', '一', '二', '三', '四', '五', '六'] : ['Su', 'Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa'];

  const cells = [];
  for (let i = 0; i < n; i++) {
    const dayMs = startMs + i * DAY_MS;
    const date = calDate(dayMs);
    const d = explainedDays.get(date);
    const note = d ? d.note || '' : '';
    let kind = 'beyond';
    if (d) {
      if (note.startsWith('acceptance day')) kind = 'acceptance';
      else if (note.startsWith('make-up working day')) kind = 'makeup';
      else if (note.startsWith('public holiday')) kind = 'holiday';
      else if (note.startsWith('weekend')) kind = 'weekend';
      else if (note.startsWith('natural day')) kind = 'natural';
      else if (note.startsWith('working day')) kind = 'working';
      else kind = d.counted ? 'working' : 'weekend';
    }
    const consumed = d ? durSeconds(d.consumed) : 0;
    const fill = Math.max(0, Math.min(1, consumed / 86400));
    const noteKey = noteKeyFor(note);
    const label = d ? (noteKey ? t(noteKey) : note) : t('strip.beyond');
    const wd = new Date(dayMs + CAL_OFFSET_MS).getUTCDay();
    const rest = note.includes(';') ? note.slice(note.indexOf(';') + 1).trim() : '';
    const tip = `${date} (${weekdays[wd]}) · ${label}` +
      (d && d.counted ? ` · ${Math.round(consumed / 360) / 10} h` : '') + (rest ? ` · ${rest}` : '');
    cells.push(h('div', {
      class: 'day day-' + kind + (d && d.counted ? ' counted' : '') + (note.includes('paused') ? ' has-pause' : '') + (wd === 1 ? ' monday' : ''),
      title: tip, dataset: { date },
    },
    h('span', { class: 'wd' }, weekdays[wd]),
    h('span', { class: 'dn' }, date.slice(8)),
    h('span', { class: 'cell' }, d && d.counted ? h('span', { class: 'used', style: { height: (fill * 100).toFixed(1) + '%' } }) : null,
      kind === 'makeup' ? h('span', { class: 'tag' }, S.lang === 'zh' ? '班' : 'W') : null,
      kind === 'holiday' ? h('span', { class: 'tag' }, S.lang === 'zh' ? '休' : 'H') : null)));
  }

  const overlay = [];
  const pauses = (c.pauses && c.pauses.length ? c.pauses : x.pauses) || [];
  const asOf = ms(x.as_of) || Date.now();
  for (const p of pauses) {
    const a = ms(p.start);
    if (isNaN(a)) continue;
    const b = p.end ? ms(p.end) : asOf;
    const left = pct(a);
    const width = Math.max(pct(b) - left, 0.6);
    overlay.push(h('div', { class: 'pause-band' + (p.end ? '' : ' open'), style: { left: left + '%', width: width + '%' },
      title: `${t('strip.pause')}: ${fmtTime(p.start)} – ${p.end ? fmtTime(p.end) : '…'} ${p.reason ? '(' + p.reason + ')' : ''}` }));
  }
  // Instants at (nearly) the same place share one flag.
  const groups = [];
  for (const [kind, ts] of instants) {
    const at = ms(ts);
    if (at < startMs || at > startMs + spanMs) continue;
    const left = pct(at);
    const g = groups.find((g) => Math.abs(g.left - left) < 0.5);
    if (g) { g.kinds.push(kind); g.times.push(ts); } else groups.push({ left, kinds: [kind], times: [ts] });
  }
  groups.sort((a, b) => a.left - b.left);
  groups.forEach((g, i) => {
    const main = ['red', 'due', 'yellow', 'finished', 'asof', 'start'].find((k) => g.kinds.includes(k));
    const label = g.kinds.map((k) => t('mark.' + k)).join(' / ');
    overlay.push(h('div', {
      class: 'marker marker-' + main + (i % 2 ? ' low' : '') + (g.left > 85 ? ' flip' : ''),
      style: { left: g.left + '%' }, dataset: { marks: g.kinds.join(' ') },
      title: g.kinds.map((k, j) => `${t('mark.' + k)}: ${fmtTime(g.times[j], true)}`).join('\n'),
    }, h('span', { class: 'flag' }, label)));
  });

  const legend = h('div', { class: 'legend' },
    [['working', 'strip.counted'], ['makeup', 'strip.makeup'], ['weekend', 'strip.weekend'], ['holiday', 'strip.holiday'],
      ['acceptance', 'strip.acceptance'], ['pause', 'strip.pause'], ['beyond', 'strip.beyond']]
      .filter(([k]) => k === 'pause' ? pauses.length > 0 : cells.some((el) => el.classList.contains('day-' + k)))
      .map(([k, key]) => h('span', { class: 'key key-' + k }, h('i'), t(key))));

  return h('div', { class: 'strip-wrap' },
    h('div', { class: 'strip-scroll' },
      h('div', { class: 'strip', style: { minWidth: (n * 30) + 'px' }, dataset: { days: String(n) } },
        h('div', { class: 'days', style: { gridTemplateColumns: `repeat(${n}, 1fr)` } }, cells),
        h('div', { class: 'overlay' }, overlay))),
    legend);
}
