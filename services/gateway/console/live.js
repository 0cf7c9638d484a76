// The live event stream (GET /v1/events:stream): text/event-stream read with fetch, since
// EventSource cannot send the Authorization header; reconnects with backoff, a watchdog for
// silent connections, and the live indicator in the top bar.
import { S } from './state.js';
import { t } from './texts.js';
import { $ } from './dom.js';
import { apiUrl, get } from './api.js';

function setLive(state, retrySeconds) {
  const el = $('#live');
  el.dataset.state = state;
  const text = { on: 'live.on', connecting: 'live.connecting', retry: 'live.retry', off: 'live.off' }[state];
  const label = $('.live-text', el);
  label.dataset.i18n = text;
  label.textContent = t(text);
  el.title = state === 'on' ? t('live.title.on') : state === 'retry' ? t('live.title.retry', { s: retrySeconds }) : '';
}

export function stopStream() {
  S.streamGen++;
  if (S.stream) {
    S.stream.controller.abort();
    S.stream = null;
  }
  setLive('off');
}

// handlers: onEvent(type, data) for each event but `end`; onReconnect() when the stream is
// back after an interruption; onUnauthorized() when the gateway refuses the token.
export function startStream(handlers) {
  stopStream();
  const gen = S.streamGen;
  streamLoop(gen, handlers);
}

const sleep = (msec) => new Promise((r) => setTimeout(r, msec));

async function streamLoop(gen, handlers) {
  let backoff = 1000;
  let connectedBefore = false;
  while (gen === S.streamGen && S.token) {
    const controller = new AbortController();
    S.stream = { controller };
    setLive('connecting');
    let lastByte = Date.now();
    // No byte for this long (the gateway comments every 15 s): the connection is dead.
    const watchdog = setInterval(() => {
      if (Date.now() - lastByte > 45000) controller.abort();
    }, 5000);
    let ended = null;
    try {
      const res = await fetch(apiUrl('/v1/events:stream'), {
        headers: { Authorization: 'Bearer ' + S.token, Accept: 'text/event-stream' },
        cache: 'no-store',
        signal: controller.signal,
      });
      if (res.status === 401) { clearInterval(watchdog); handlers.onUnauthorized(); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      setLive('on');
      backoff = 1000;
      if (connectedBefore) handlers.onReconnect();
      connectedBefore = true;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = sseParser((type, data) => {
        if (gen !== S.streamGen) return;
        if (type === 'end') ended = data;
        else handlers.onEvent(type, data);
      });
      for (;;) {
        const { value, done } = await reader.read();
        if (done || gen !== S.streamGen) break;
        lastByte = Date.now();
        parser(value);
        if (ended !== null) { controller.abort(); break; }
      }
    } catch (e) {
      // aborted or network error: retried below
    } finally {
      clearInterval(watchdog);
    }
    if (gen !== S.streamGen || !S.token) return;
    if (ended !== null) {
      // The session ended (logout elsewhere, expiry), or the gateway could not read the
      // board: ask who we are; a 401 there takes us back to the login form.
      try { await get('/v1/me'); } catch (e) { if (e.status === 401) return; }
    }
    const wait = Math.min(backoff, 30000) + Math.floor(Math.random() * 500);
    setLive('retry', Math.round(wait / 1000));
    await sleep(wait);
    backoff = Math.min(backoff * 2, 30000);
  }
}

// text/event-stream: "event:", "data:" (several joined by \n), comments (":"), blank line
// dispatches. Returns a function to feed decoded text chunks to.
function sseParser(dispatch) {
  let buffer = '';
  let type = '';
  let data = [];
  return (chunk) => {
    buffer += chunk;
    for (;;) {
      const i = buffer.search(/\r\n|\r|\n/);
      if (i < 0) break;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (buffer[i] === '\r' && i === buffer.length - 1) break;
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + (buffer[i] === '\r' && buffer[i + 1] === '\n' ? 2 : 1));
      if (line === '') {
        if (data.length) {
          const text = data.join('\n');
          let parsed = null;
          try { parsed = JSON.parse(text); } catch (e) { parsed = text; }
          dispatch(type || 'message', parsed);
        }
        type = '';
        data = [];
        continue;
      }
      if (line[0] === ':') continue;  // comment (keep-alive)
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
  };
}
