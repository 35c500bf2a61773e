// The storage console: plain ES modules, no build step, no third-party code. Talks to /api on this origin with
// the key the user enters; shows stored content only as images and video from the CDN.
import { apiKey } from './api.js';
import { $, say } from './dom.js';
import { listedFiles, onFilesChanged, refresh as refreshFiles, setUpFiles } from './files.js';
import { fillSources, refreshJobs, setUpJobs, stopWatching } from './jobs.js';
import { setUpTransforms } from './transforms.js';
import { refreshUsage, setUpUsage } from './usage.js';

const PANELS = ['files', 'jobs', 'transforms', 'usage'];
const isImage = (f) => f.contentType.startsWith('image/');
const isMedia = (f) => isImage(f) || f.contentType.startsWith('video/');

function show(name, { focus = false } = {}) {
  if (!PANELS.includes(name)) name = 'files';
  for (const panel of PANELS) $(`panel-${panel}`).hidden = panel !== name;
  for (const link of document.querySelectorAll('nav a'))
    if (link.dataset.panel === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  if (name !== 'jobs') stopWatching();
  if (apiKey.get()) {
    if (name === 'files' && !listedFiles().length) refreshFiles();
    if (name === 'jobs') refreshJobs();
    if (name === 'usage') refreshUsage();
    if ((name === 'jobs' || name === 'transforms') && !listedFiles().length) refreshFiles();
  }
  if (focus) $(`${name}-title`).parentElement.querySelector('h2').focus();
}

function useKey(event) {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (!key) return;
  apiKey.set(key);
  $('api-key').value = '';
  say('key-status', 'Key in use for this tab.');
  show(location.hash.slice(1));
}

function forgetKey() {
  apiKey.clear();
  stopWatching();
  say('key-status', 'Key forgotten.');
}

onFilesChanged((files) => {
  fillSources($('job-source'), files, isMedia);
  fillSources($('tf-source'), files, isImage);
});
setUpFiles();
setUpJobs();
setUpTransforms();
setUpUsage();
$('key-form').addEventListener('submit', useKey);
$('forget-key').addEventListener('click', forgetKey);
for (const title of document.querySelectorAll('.panel h2')) title.tabIndex = -1;
window.addEventListener('hashchange', () => show(location.hash.slice(1), { focus: true }));
say('key-status', apiKey.get() ? 'Key in use for this tab.' : 'Enter your API key to begin.');
show(location.hash.slice(1));
