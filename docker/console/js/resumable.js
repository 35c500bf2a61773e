// Resumable uploads (S3 and local storage): a file goes in parts (straight to the bucket, or on local storage
// through the API into its staging area), a few at a time, with Pause, Resume and Cancel. The upload's id and key and the file's identity (name, size, lastModified) are kept in localStorage
// (never the API key), so after a reload selecting the same file again sends only the parts the store lacks.
import { ApiFailure, api } from './api.js';
import { h } from './dom.js';

const STORE = 'storage-console-uploads';
/** Files from this size on go in parts where the storage takes them. */
export const RESUMABLE_FROM = 8 * 1024 * 1024;
/** Parts in flight per file. */
const AT_ONCE = 3;
/** Set once the API said this storage takes no multipart uploads. */
let unsupported = false;

/** The unfinished uploads remembered in this browser (expired ones dropped). */
export function unfinishedUploads() {
  let list;
  try {
    list = JSON.parse(localStorage.getItem(STORE) ?? '[]');
  } catch {
    list = [];
  }
  return Array.isArray(list) ? list.filter((r) => Date.parse(r.expiresAt) > Date.now()) : [];
}
const save = (list) =>
  list.length ? localStorage.setItem(STORE, JSON.stringify(list)) : localStorage.removeItem(STORE);
const remember = (record) =>
  save([...unfinishedUploads().filter((r) => r.id !== record.id), record]);
const forget = (id) => save(unfinishedUploads().filter((r) => r.id !== id));
const sameFile = (record, file) =>
  record.name === file.name &&
  record.size === file.size &&
  record.lastModified === file.lastModified;

/** Gives up a remembered upload: the store drops its parts, the reservation is released. */
export async function cancelUpload(id) {
  try {
    await api(`/v1/uploads/${encodeURIComponent(id)}`, { method: 'DELETE' });
  } catch (error) {
    if (error.status !== 404) throw error; // gone already (expired): nothing to give up
  } finally {
    forget(id);
  }
}

class Paused extends Error {}

/** PUTs one part to its presigned URL; resolves with the part's ETag, rejects with {@link Paused} when aborted. */
function putPart(url, blob, onProgress, inflight) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    inflight.add(xhr);
    const done = () => inflight.delete(xhr);
    xhr.open('PUT', url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      done();
      const etag = xhr.getResponseHeader('etag');
      if (xhr.status < 300 && etag) resolve(etag);
      else reject(new Error(`storage answered ${xhr.status}`));
    };
    xhr.onerror = () => {
      done();
      reject(new Error('a part failed (network or CORS); select the file again to resume'));
    };
    xhr.onabort = () => {
      done();
      reject(new Paused());
    };
    xhr.send(blob);
  });
}

/**
 * Uploads `file` in parts, resuming a remembered upload of the same file. Draws its Pause/Resume and Cancel
 * buttons into `ui.controls` and reports in `ui.progress` / `ui.status`. Resolves with the stored file, `null`
 * when cancelled, or `undefined` when this storage takes no multipart uploads (send it in one request instead).
 */
export async function uploadInParts(file, visibility, ui) {
  if (unsupported) return undefined;
  let record = unfinishedUploads().find((r) => sameFile(r, file));
  let stored = [];
  if (record) {
    try {
      stored = (await api(`/v1/uploads/${encodeURIComponent(record.id)}/parts`)).parts;
    } catch {
      forget(record.id); // expired or completed meanwhile: start again
      record = undefined;
    }
  }
  if (!record) {
    let intent;
    try {
      intent = await api('/v1/uploads/multipart', {
        method: 'POST',
        body: {
          name: file.name,
          contentType: file.type || 'application/octet-stream',
          size: file.size,
          visibility,
        },
      });
    } catch (error) {
      if (error instanceof ApiFailure && error.code === 'E_VALIDATION' && error.status === 400) {
        unsupported = true;
        return undefined;
      }
      throw error;
    }
    record = {
      id: intent.id,
      key: intent.key,
      name: file.name,
      size: file.size,
      lastModified: file.lastModified,
      // The same part size on every resume: the smallest the store takes that fits its part count.
      partSize: Math.max(intent.minPartSize, Math.ceil(file.size / intent.maxParts)),
      expiresAt: intent.expiresAt,
    };
    remember(record);
  }

  const { id, partSize } = record;
  const count = Math.max(1, Math.ceil(file.size / partSize));
  const etags = new Map(stored.map((part) => [part.partNumber, part.etag]));
  const storedBytes = new Map(stored.map((part) => [part.partNumber, part.size]));
  const inFlight = new Map();
  const todo = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !etags.has(n));
  const control = { paused: false, cancelled: false, failed: undefined, xhrs: new Set() };
  let wake = () => {};
  let resumed = Promise.resolve();

  const show = () => {
    let sent = 0;
    for (const size of storedBytes.values()) sent += size;
    for (const size of inFlight.values()) sent += size;
    ui.progress.value = Math.min(100, Math.round((sent / file.size) * 100));
    ui.status.textContent = `${control.paused ? 'paused: ' : ''}${etags.size} of ${count} parts stored`;
  };
  const pauseButton = h('button', { type: 'button', onclick: () => toggle() }, 'Pause');
  const label = () => {
    pauseButton.textContent = control.paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-label', `${pauseButton.textContent} ${file.name}`);
  };
  const stopAll = () => [...control.xhrs].forEach((xhr) => xhr.abort());
  function toggle() {
    if (control.cancelled) return;
    control.paused = !control.paused;
    if (control.paused) {
      resumed = new Promise((resolve) => (wake = resolve));
      stopAll(); // the parts in flight go again on Resume
    } else wake();
    label();
    show();
  }
  const cancelButton = h(
    'button',
    {
      type: 'button',
      className: 'danger',
      'aria-label': `Cancel ${file.name}`,
      onclick: () => {
        control.cancelled = true;
        stopAll();
        wake();
      },
    },
    'Cancel',
  );
  label();
  ui.controls.replaceChildren(pauseButton, ' ', cancelButton);
  show();

  const worker = async () => {
    for (;;) {
      while (control.paused && !control.cancelled && !control.failed) await resumed;
      if (control.cancelled || control.failed) return;
      const n = todo.shift();
      if (n === undefined) return;
      try {
        const { url } = await api(`/v1/uploads/${encodeURIComponent(id)}/parts/${n}`, {
          method: 'POST',
        });
        if (control.paused || control.cancelled) throw new Paused();
        const blob = file.slice((n - 1) * partSize, Math.min(file.size, n * partSize));
        const etag = await putPart(
          url,
          blob,
          (loaded) => {
            inFlight.set(n, loaded);
            show();
          },
          control.xhrs,
        );
        etags.set(n, etag);
        storedBytes.set(n, blob.size);
      } catch (error) {
        if (!(error instanceof Paused)) {
          control.failed ??= error;
          stopAll();
        }
        todo.unshift(n);
      } finally {
        inFlight.delete(n);
        show();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(AT_ONCE, todo.length) }, worker));
    if (control.cancelled) {
      ui.status.textContent = 'cancelling';
      await cancelUpload(id);
      return null;
    }
    if (control.failed) throw control.failed; // remembered: selecting the file again resumes
    ui.status.textContent = 'assembling';
    const parts = [...etags]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, etag]) => ({ partNumber, etag }));
    const result = await api(`/v1/uploads/${encodeURIComponent(id)}/complete`, {
      method: 'POST',
      body: { parts },
    });
    forget(id);
    return result;
  } finally {
    ui.controls.replaceChildren();
  }
}
