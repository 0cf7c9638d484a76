// The gateway's REST API (same origin, /v1/...): requests with the bearer token, errors as
// ApiError, query strings, and streamed file downloads (fetchFile). A 401 to a call made with a token goes to the handler main.js
// registers with onUnauthorized (back to the login form).
import { S } from './state.js';
import { t } from './texts.js';

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message || code || ('HTTP ' + status));
    this.status = status;
    this.code = code || '';
    this.field = field || '';
    this.retryAfter = retryAfter || 0;  // seconds (Retry-After of a 429 or 503), 0 if none
  }
}

let unauthorized = () => {};
export function onUnauthorized(handler) { unauthorized = handler; }

const apiBase = new URL('../', document.baseURI);
export const apiUrl = (path) => new URL(path.replace(/^\//, ''), apiBase).toString();

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (S.token) headers.Authorization = 'Bearer ' + S.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(apiUrl(path), {
      method,
      headers,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', t('error.network', { m: e.message }));
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : {}; } catch (e) { data = null; }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const e = new ApiError(res.status, err.code, err.message || text || res.statusText, err.field,
      Number(res.headers.get('Retry-After')) || 0);
    if (res.status === 401 && S.token && path !== '/v1/login') unauthorized();
    throw e;
  }
  return data || {};
}
export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);

// A file the gateway streams (an export, a clip): GET with the bearer token, the body read
// chunk by chunk (onChunk(bytes received, chunk, rows, total bytes or 0) after each), resolved
// with the whole body as a Blob, its file name (Content-Disposition) and the X-Export-Rows
// header (0 when absent).
export async function fetchFile(path, onChunk) {
  let res;
  try {
    res = await fetch(apiUrl(path), { headers: { Authorization: 'Bearer ' + S.token }, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', t('error.network', { m: e.message }));
  }
  if (!res.ok) {
    const text = await res.text();
    let err = {};
    try { err = (JSON.parse(text) || {}).error || {}; } catch (e) { /* not JSON */ }
    if (res.status === 401 && S.token) unauthorized();
    throw new ApiError(res.status, err.code, err.message || text || res.statusText, err.field);
  }
  const rows = Number(res.headers.get('X-Export-Rows')) || 0;
  const total = Number(res.headers.get('Content-Length')) || 0;
  const disposition = res.headers.get('Content-Disposition') || '';
  const m = /filename="?([^";]+)"?/.exec(disposition);
  const chunks = [];
  let bytes = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.length;
    if (onChunk) onChunk(bytes, value, rows, total);
  }
  const type = (res.headers.get('Content-Type') || 'application/octet-stream').split(';')[0];
  return { blob: new Blob(chunks, { type }), name: m ? m[1] : 'export', rows, bytes };
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}
