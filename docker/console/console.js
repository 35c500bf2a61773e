// The storage console: a direct upload (bytes go straight to storage, never through the API process), a job,
// and its variants as the CDN serves them. No framework, no third-party code; talks to /api on this origin.
const $ = (id) => document.getElementById(id);
const state = { file: undefined, upload: undefined };

const key = () => $('api-key').value.trim();
const say = (id, text, error = false) => {
  $(id).textContent = text;
  $(id).classList.toggle('error', error);
};

async function api(path, init = {}) {
  const res = await fetch(`/api${path}`, {
    ...init,
    headers: { ...(init.headers ?? {}), authorization: `Bearer ${key()}` },
  });
  const body = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok)
    throw new Error(
      body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`,
    );
  return body;
}

/** Sends the bytes where the intent says, reporting progress (fetch cannot report upload progress). */
function send(intent, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const { upload } = intent;
    xhr.open(upload.method, upload.url);
    xhr.upload.onprogress = (event) =>
      event.lengthComputable && onProgress(event.loaded / event.total);
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

async function uploadFile() {
  const file = state.file;
  if (!file || !key())
    return say('upload-status', 'Paste an API key and pick an image first.', true);
  $('upload').disabled = true;
  try {
    say('upload-status', 'Announcing the upload…');
    const intent = await api('/v1/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: file.name,
        contentType: file.type || 'application/octet-stream',
        size: file.size,
        visibility: $('visibility').value,
      }),
    });
    await send(intent, file, (done) => ($('upload-progress').value = Math.round(done * 100)));
    const stored = await api(`/v1/uploads/${intent.id}/complete`, { method: 'POST' });
    $('upload-progress').value = 100;
    state.upload = stored;
    say('upload-status', `Uploaded ${stored.key} (${stored.size} bytes, ${stored.visibility})`);
    $('start-job').disabled = false;
  } catch (error) {
    say('upload-status', error.message, true);
  } finally {
    $('upload').disabled = false;
  }
}

function showVariants(result) {
  const list = $('variants');
  list.replaceChildren();
  for (const variant of result.variants) {
    const figure = document.createElement('figure');
    figure.className = 'variant';
    const img = document.createElement('img');
    img.src = variant.url;
    img.alt = `${variant.name} (${variant.format})`;
    img.width = variant.width;
    img.height = variant.height;
    const caption = document.createElement('figcaption');
    caption.textContent = `${variant.name}: ${variant.format}, ${variant.width}×${variant.height}, ${variant.bytes} bytes `;
    const link = document.createElement('a');
    link.href = variant.url;
    link.textContent = result.visibility === 'private' ? 'signed link' : 'link';
    link.target = '_blank';
    link.rel = 'noopener';
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.textContent = 'copy';
    copy.addEventListener('click', () => navigator.clipboard?.writeText(variant.url));
    caption.append(link, ' ', copy);
    figure.append(img, caption);
    list.append(figure);
  }
}

async function startJob() {
  if (!state.upload) return;
  $('start-job').disabled = true;
  try {
    const { jobId } = await api('/v1/images', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        tool: $('tool').value,
        sourceKey: state.upload.key,
        visibility: $('visibility').value,
      }),
    });
    say('job-status', `Job ${jobId} queued`);
    for (;;) {
      const job = await api(`/v1/images/${jobId}`);
      $('job-progress').value = job.progress ?? 0;
      if (job.status === 'completed') {
        $('job-progress').value = 100;
        say('job-status', `Job ${jobId} completed (${job.result.visibility})`);
        showVariants(job.result);
        break;
      }
      if (job.status === 'failed') throw new Error(`${job.error.code}: ${job.error.message}`);
      say('job-status', `Job ${jobId} ${job.status}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } catch (error) {
    say('job-status', error.message, true);
  } finally {
    $('start-job').disabled = false;
  }
}

function pick(file) {
  state.file = file;
  $('upload').disabled = !file;
  if (file) say('upload-status', `${file.name}, ${file.size} bytes`);
}

$('api-key').value = sessionStorage.getItem('storage-console-key') ?? '';
$('api-key').addEventListener('change', () => sessionStorage.setItem('storage-console-key', key()));
$('file').addEventListener('change', () => pick($('file').files[0]));
$('upload').addEventListener('click', uploadFile);
$('start-job').addEventListener('click', startJob);
const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  pick(event.dataTransfer.files[0]);
});
