// Downloads of the gateway's exports (CSV or Excel): a button per format, the bytes (and for
// CSV the rows, counted by their "\r\n" against X-Export-Rows) received as the body streams
// in, then the file saved through a Blob object URL and an <a download> click.
import { t } from './texts.js';
import { h } from './dom.js';
import { fmtBytes } from './format.js';
import { fetchFile } from './api.js';

// pathFor(format): the export's path with its query, e.g. '/v1/scores/2026-11:export?format=csv'.
export function exportBox(id, pathFor) {
  const bar = h('progress', { max: '1', value: '0', hidden: true });
  const status = h('span', { class: 'export-status muted', role: 'status' });
  const box = h('div', { class: 'export-box', id, dataset: { state: 'idle' } });
  const buttons = ['csv', 'xlsx'].map((format) => h('button', {
    type: 'button', class: 'ghost', id: id + '-' + format, dataset: { format },
    onclick: () => run(format),
  }, t('export.' + format)));

  async function run(format) {
    for (const b of buttons) b.disabled = true;
    box.dataset.state = 'busy';
    bar.hidden = false;
    bar.removeAttribute('value');  // indeterminate until the rows are known
    status.textContent = t('export.busy');
    let lines = 0;
    let last = 0;
    try {
      const file = await fetchFile(pathFor(format), (bytes, chunk, rows) => {
        let text = t('export.bytes', { size: fmtBytes(bytes) });
        if (format === 'csv') {
          for (const c of chunk) { if (c === 10 && last === 13) lines++; last = c; }
          const done = Math.min(rows, Math.max(0, lines - 1));  // the first line is the header
          if (rows) { bar.max = rows; bar.value = done; }
          text += ' · ' + t('export.rows', { n: done, total: rows });
        }
        status.textContent = text;
      });
      const url = URL.createObjectURL(file.blob);
      const a = h('a', { href: url, download: file.name, hidden: true });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30000);
      bar.max = 1;
      bar.value = 1;
      box.dataset.state = 'done';
      box.dataset.file = file.name;
      status.textContent = t('export.done', { name: file.name, rows: file.rows, size: fmtBytes(file.bytes) });
    } catch (e) {
      box.dataset.state = 'failed';
      bar.hidden = true;
      status.textContent = t('export.failed', { m: e.message });
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }
  box.append(h('span', { class: 'export-label' }, t('export.label')), ...buttons, bar, status);
  return box;
}
