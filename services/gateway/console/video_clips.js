// Footage on a page: a hold's clip in a <video> and a conduct event's snapshot in an <img>,
// fetched with the bearer token (the elements themselves cannot send it) and shown from Blob
// URLs, which releaseMedia gives back when the page changes (main.js). The gateway audits
// every clip and snapshot read: a clip is fetched only when the user asks for it.
import { t } from './texts.js';
import { h } from './dom.js';
import { fmtBytes } from './format.js';
import { fetchFile } from './api.js';

const urls = new Set();

export function releaseMedia() {
  for (const url of urls) URL.revokeObjectURL(url);
  urls.clear();
}

async function blobUrl(path, onChunk) {
  const file = await fetchFile(path, onChunk);
  const url = URL.createObjectURL(file.blob);
  urls.add(url);
  return url;
}

export const holdClipPath = (holdId) => '/v1/video/holds/' + encodeURIComponent(holdId) + '/clip.mp4';

// A hold's clip: a <video> and the button that loads it, with the bytes received; `autoload`
// when the user already asked for it.
export function clipPlayer(holdId, autoload) {
  const video = h('video', { class: 'clip-video', controls: true, preload: 'none', playsinline: true, dataset: { hold: holdId } });
  const status = h('span', { class: 'muted small clip-status' });
  const button = h('button', { type: 'button', class: 'ghost clip-load' }, t('video.clip.load'));
  const load = async () => {
    button.disabled = true;
    status.textContent = t('video.clip.loading');
    try {
      const url = await blobUrl(holdClipPath(holdId), (bytes, chunk, rows, total) => {
        status.textContent = total ? `${fmtBytes(bytes)} / ${fmtBytes(total)}` : fmtBytes(bytes);
      });
      video.src = url;
      status.textContent = '';
      button.hidden = true;
      video.play().catch(() => { /* autoplay refused: the controls are there */ });
    } catch (e) {
      status.textContent = e.message;
      button.disabled = false;
    }
  };
  button.addEventListener('click', load);
  if (autoload) load();
  return h('div', { class: 'clip-player' }, video, h('div', { class: 'row' }, button, status));
}

// A conduct event's snapshot, loaded at once (it is what the inspector decides on).
export function snapshotImage(eventId) {
  const img = h('img', { class: 'snapshot', alt: t('video.snapshot'), dataset: { event: eventId } });
  blobUrl('/v1/video/conduct-events/' + encodeURIComponent(eventId) + '/snapshot.jpg')
    .then((url) => { img.src = url; })
    .catch((e) => img.replaceWith(h('p', { class: 'muted small' }, e.status === 404 ? t('video.snapshot.none') : e.message)));
  return img;
}
