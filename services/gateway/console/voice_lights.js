// The lights of the public's voice: the open supervision clocks of complaints (acceptance,
// then handling) and of rectifications, read through GET /v1/clocks (one light and kind per
// call; staff see their own department's), by the id of what they time.
import { isStaff } from './state.js';
import { get, qs } from './api.js';

const LIGHTS = ['LIGHT_RED', 'LIGHT_YELLOW', 'LIGHT_GREEN'];
export const COMPLAINT_KINDS = ['CLOCK_KIND_COMPLAINT_ACCEPTANCE', 'CLOCK_KIND_COMPLAINT'];
export const RECTIFICATION_KINDS = ['CLOCK_KIND_RECTIFICATION'];

// Map: the complaint id ("c7") or the case id of a rectification -> its open clock. A light
// that cannot be read is left out (the page still shows the records).
export async function openVoiceClocks(kinds, departmentId) {
  const calls = [];
  for (const kind of kinds) {
    for (const light of LIGHTS) {
      calls.push(get('/v1/clocks' + qs({ light, kind, department_id: isStaff() ? undefined : departmentId, page_size: 500 }))
        .then((d) => d.clocks || []).catch(() => []));
    }
  }
  const out = new Map();
  for (const clocks of await Promise.all(calls)) {
    for (const c of clocks) {
      const id = (c.clock_id || '').split('/').slice(1).join('/');
      if (id && !c.finished_at) out.set(id, c);
    }
  }
  return out;
}
