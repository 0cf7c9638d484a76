// Numbers, instants, durations and time limits as the console shows them, and the calendar's
// days (Asia/Shanghai dates).
import { S } from './state.js';
import { t } from './texts.js';

export const num = (v) => (v === undefined || v === null || v === '' ? 0 : Number(v));
export const ms = (ts) => (ts ? Date.parse(ts) : NaN);
const pad = (n) => String(n).padStart(2, '0');
export function fmtTime(ts, withSeconds) {
  const d = new Date(ms(ts));
  if (!ts || isNaN(d)) return '';
  const s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${s}:${pad(d.getSeconds())}` : s;
}
export function fmtClock(d) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function fmtLimit(limit) {
  if (!limit || !limit.unit) return '';
  return t('unit.' + limit.unit, { n: num(limit.amount) });
}
// google.protobuf.Duration in JSON: "86400s", "-3600.5s".
export const durSeconds = (d) => (d ? parseFloat(String(d)) || 0 : 0);
export function fmtWorkingTime(d) {
  const s = durSeconds(d);
  const sign = s < 0 ? '−' : '';
  const a = Math.abs(s);
  const days = Math.floor(a / 86400);
  const hours = Math.floor((a % 86400) / 3600);
  const mins = Math.floor((a % 3600) / 60);
  if (S.lang === 'zh') return `${sign}${days} 天 ${hours} 小时 ${mins} 分`;
  return `${sign}${days} d ${hours} h ${mins} min`;
}

// The calendar's days are dates in Asia/Shanghai (UTC+8, no daylight saving).
export const CAL_OFFSET_MS = 8 * 3600 * 1000;
export const DAY_MS = 86400 * 1000;
export const dateStartMs = (ymd) => Date.parse(ymd + 'T00:00:00Z') - CAL_OFFSET_MS;
export const calDate = (t) => new Date(t + CAL_OFFSET_MS).toISOString().slice(0, 10);
export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}
// Basis points (10000 = 100%) as a percentage; '—' when absent.
export const fmtRate = (bp) => (bp === undefined || bp === null || bp === '' ? '—' : (Number(bp) / 100).toFixed(1) + '%');
// Hundredths of points as points with two decimals.
export const fmtPoints = (cp) => (num(cp) / 100).toFixed(2);
// Months "YYYY-MM" of the calendar (Asia/Shanghai): this one, and n months from one.
export const thisMonth = () => calDate(Date.now()).slice(0, 7);
export function addMonths(month, n) {
  const [y, m] = month.split('-').map(Number);
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${pad((i % 12) + 1)}`;
}
