// Files: upload several at once (straight to storage), list with a filter and pages, preview, share a signed link,
// change visibility, delete.
import { api, keyPath } from './api.js';
import { $, bytes, confirmDialog, h, say, when } from './dom.js';
import { RESUMABLE_FROM, cancelUpload, unfinishedUploads, uploadInParts } from './resumable.js';

const PAGE = 25;
const state = { cursor: undefined, items: [], selected: undefined, listeners: [] };

/** The files listed so far (for the other panels' source pickers). */
export const listedFiles = () => state.items;
/** Calls `fn` whenever the listed files change. */
export const onFilesChanged = (fn) => state.listeners.push(fn);
const changed = () => state.listeners.forEach((fn) => fn(state.items));

/** A key without `uploads/<user>/` or `processed/<tool>/<user>/`: what the filter's prefix is relative to. */
const relative = (key) =>
  key
    .split('/')
    .slice(key.startsWith('processed/') ? 3 : 2)
    .join('/');
const nameOf = (key) => key.slice(key.lastIndexOf('/') + 1);

/** Sends the bytes where the upload intent says, reporting progress. */
function send(intent, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const { upload } = intent;
    xhr.open(upload.method, upload.url);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () =>
      xhr.status < 300 ? resolve() : reject(new Error(`storage answered ${xhr.status}`));
    xhr.onerror = () => reject(new Error('the upload failed (network or CORS)'));
    if (upload.method === 'POST') {
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      form.append(upload.fileField, file, file.name);
      xhr.send(form);
    } else {
      for (const [name, value] of Object.entries(upload.headers)) xhr.setRequestHeader(name, value);
      xhr.send(file);
    }
  });
}

async function uploadOne(file, visibility) {
  const progress = h('progress', { max: 100, value: 0, 'aria-label': `${file.name} progress` });
  const status = h('span', { className: 'upload-status' }, 'waiting');
  const controls = h('span', { className: 'upload-controls' });
  const row = h(
    'li',
    { 'data-name': file.name },
    h('span', { className: 'name' }, file.name),
    ' ',
    progress,
    ' ',
    status,
    ' ',
    controls,
  );
  $('upload-list').append(row);
  try {
    if (file.size >= RESUMABLE_FROM) {
      status.textContent = 'announcing';
      const stored = await uploadInParts(file, visibility, { progress, status, controls });
      showUnfinished();
      if (stored === null) {
        status.textContent = 'cancelled';
        row.classList.add('error');
        return false;
      }
      if (stored) {
        progress.value = 100;
        status.textContent = `uploaded in parts (${bytes(stored.size)}, ${stored.visibility})`;
        row.classList.add('done');
        return true;
      }
      row.dataset.single = 'true';
    }
    status.textContent = 'announcing';
    const intent = await api('/v1/uploads', {
      method: 'POST',
      body: {
        name: file.name,
        contentType: file.type || 'application/octet-stream',
        size: file.size,
        visibility,
      },
    });
    status.textContent = row.dataset.single
      ? 'uploading in one request (this storage has no resumable uploads: no pause)'
      : 'uploading';
    await send(intent, file, (done) => (progress.value = Math.round(done * 100)));
    const stored = await api(`/v1/uploads/${intent.id}/complete`, { method: 'POST' });
    progress.value = 100;
    status.textContent = `uploaded (${bytes(stored.size)}, ${stored.visibility})`;
    row.classList.add('done');
    return true;
  } catch (error) {
    status.textContent = error.message;
    row.classList.add('error');
    showUnfinished();
    return false;
  }
}

/** The uploads started in this browser and not finished: select the same file again to resume, or cancel. */
function showUnfinished() {
  const list = unfinishedUploads();
  $('unfinished').hidden = !list.length;
  $('unfinished-list').replaceChildren(
    ...list.map((record) =>
      h(
        'li',
        { 'data-upload': record.id },
        h('span', { className: 'name' }, record.name),
        ` (${bytes(record.size)}) `,
        h(
          'button',
          {
            type: 'button',
            className: 'danger',
            'aria-label': `Cancel the unfinished upload of ${record.name}`,
            onclick: async () => {
              try {
                await cancelUpload(record.id);
                say('files-status', `Cancelled the upload of ${record.name}.`);
              } catch (error) {
                say('files-status', error.message, true);
              }
              showUnfinished();
            },
          },
          'Cancel',
        ),
      ),
    ),
  );
}

async function uploadAll(event) {
  event.preventDefault();
  const files = [...$('upload-files').files];
  if (!files.length) return;
  const visibility = $('upload-visibility').value;
  $('upload-list').replaceChildren();
  // Two at a time: several files move at once without flooding the connection.
  const queue = [...files];
  const results = [];
  await Promise.all(
    [0, 1].map(async () => {
      while (queue.length) results.push(await uploadOne(queue.shift(), visibility));
    }),
  );
  const ok = results.filter(Boolean).length;
  $('upload-files').value = '';
  await refresh();
  say('files-status', `Uploaded ${ok} of ${files.length} file(s).`, ok < files.length);
}

/** A folder of a listed file: a button that lists just that folder. */
function folderLink(folder) {
  if (!folder) return null;
  return h(
    'button',
    {
      type: 'button',
      className: 'link folder',
      'aria-label': `Browse folder ${folder}`,
      onclick: () => {
        $('filter-prefix').value = folder;
        refresh();
      },
    },
    folder,
  );
}

function row(item) {
  const visibility = h(
    'button',
    {
      type: 'button',
      className: 'link',
      'aria-label': `Make ${item.visibility === 'public' ? 'private' : 'public'}: ${nameOf(item.key)}`,
      onclick: () => toggleVisibility(item),
    },
    item.visibility === 'public' ? 'Make private' : 'Make public',
  );
  return h(
    'tr',
    { 'data-key': item.key },
    h(
      'td',
      { className: 'name' },
      h('span', { className: 'file-name' }, nameOf(item.key)),
      h('br'),
      folderLink(relative(item.key).slice(0, -nameOf(item.key).length)),
    ),
    h('td', {}, item.contentType),
    h('td', { className: 'num' }, bytes(item.size)),
    h('td', {}, when(item.lastModified)),
    h(
      'td',
      {},
      h('span', { className: `badge ${item.visibility}` }, item.visibility ?? '?'),
      ' ',
      visibility,
    ),
    h(
      'td',
      { className: 'actions' },
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Preview ${nameOf(item.key)}`,
          onclick: () => preview(item),
        },
        'Preview',
      ),
      ' ',
      h(
        'button',
        {
          type: 'button',
          className: 'danger',
          'aria-label': `Delete ${nameOf(item.key)}`,
          onclick: () => remove(item),
        },
        'Delete',
      ),
    ),
  );
}

function render() {
  $('files-table').tBodies[0].replaceChildren(...state.items.map(row));
  $('files-more').hidden = !state.cursor;
  changed();
}

async function load(more) {
  const params = new URLSearchParams({ limit: String(PAGE), include: 'visibility' });
  const folder = $('filter-folder').value;
  if (folder !== 'uploads') (params.set('folder', 'outputs'), params.set('tool', folder));
  const prefix = $('filter-prefix').value.trim();
  if (prefix) params.set('prefix', prefix);
  if (more && state.cursor) params.set('cursor', state.cursor);
  try {
    say('files-status', 'Loading…');
    const page = await api(`/v1/files?${params}`);
    state.items = more ? [...state.items, ...page.items] : page.items;
    state.cursor = page.cursor;
    render();
    say(
      'files-status',
      state.items.length
        ? `${state.items.length} file(s)${state.cursor ? ', more to load' : ''}.`
        : folder === 'uploads'
          ? 'No files yet: upload some above.'
          : 'No outputs here yet: start a job in Jobs.',
    );
  } catch (error) {
    say('files-status', error.message, true);
  }
}

/** Lists the first page again. */
export const refresh = () => load(false);

async function toggleVisibility(item) {
  const visibility = item.visibility === 'public' ? 'private' : 'public';
  try {
    const answer = await api(`/v1/files/${keyPath(item.key)}`, {
      method: 'PATCH',
      body: { visibility },
    });
    Object.assign(item, { visibility: answer.visibility, url: answer.url });
    render();
    say('files-status', `${nameOf(item.key)} is now ${answer.visibility}.`);
  } catch (error) {
    say('files-status', error.message, true);
  }
}

async function remove(item) {
  if (!(await confirmDialog(`Delete ${relative(item.key)}? This cannot be undone.`))) return;
  try {
    await api(`/v1/files/${keyPath(item.key)}`, { method: 'DELETE' });
    state.items = state.items.filter((other) => other !== item);
    if (state.selected === item) $('preview').hidden = true;
    render();
    say('files-status', `Deleted ${relative(item.key)}.`);
  } catch (error) {
    say('files-status', error.message, true);
  }
}

function preview(item) {
  state.selected = item;
  const body = $('preview-body');
  const caption = `${relative(item.key)} · ${item.contentType} · ${bytes(item.size)}`;
  let media;
  // Shown from the CDN (a signed URL), as an image or a video element: never as a document of this origin.
  if (item.contentType.startsWith('image/'))
    media = h('img', {
      src: item.url,
      alt: `Preview of ${nameOf(item.key)}`,
      className: 'preview-media',
    });
  else if (item.contentType.startsWith('video/'))
    media = h('video', {
      src: item.url,
      controls: true,
      preload: 'metadata',
      className: 'preview-media',
      'aria-label': `Video ${nameOf(item.key)}`,
    });
  else media = h('p', {}, 'No preview for this type; create a signed link to download it.');
  body.replaceChildren(h('figure', {}, media, h('figcaption', {}, caption)));
  $('share-url').value = '';
  say('share-status', '');
  $('preview').hidden = false;
  $('preview-title').textContent = `Preview: ${nameOf(item.key)}`;
  $('preview').scrollIntoView({ block: 'nearest' });
  $('share-lifetime').focus();
}

async function share(event) {
  event.preventDefault();
  const item = state.selected;
  if (!item) return;
  try {
    const seconds = $('share-lifetime').value;
    const link = await api(`/v1/signed-urls/${keyPath(item.key)}?expiresIn=${seconds}`);
    $('share-url').value = link.url;
    say('share-status', `Works until ${when(link.expiresAt)}.`);
    $('share-url').select();
  } catch (error) {
    say('share-status', error.message, true);
  }
}

async function copy() {
  const url = $('share-url').value;
  if (!url) return;
  try {
    await navigator.clipboard.writeText(url);
    say('share-status', 'Copied.');
  } catch {
    $('share-url').select();
    say('share-status', 'Select the link and copy it (the browser refused clipboard access).');
  }
}

/** Wires the panel's controls. */
export function setUpFiles() {
  $('upload-form').addEventListener('submit', uploadAll);
  $('filter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    refresh();
  });
  $('files-more').addEventListener('click', () => load(true));
  $('filter-folder').addEventListener('change', () => {
    $('filter-prefix').value = '';
    refresh();
  });
  showUnfinished();
  $('share-form').addEventListener('submit', share);
  $('share-copy').addEventListener('click', copy);
}
