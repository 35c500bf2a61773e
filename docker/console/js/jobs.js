// Jobs: start one with a preset set and model, list the recent ones with live status (long poll), show each
// completed job's variants at every width with its placeholder while they load, its provenance; failures with
// their code and message.
import { api } from './api.js';
import { $, bytes, h, say, when } from './dom.js';

const watching = new Map(); // jobId -> AbortController of its long poll
const cards = new Map(); // jobId -> <li>

function variantFigure(job, variant) {
  const { placeholder } = job.result;
  const img = h('img', {
    src: variant.url,
    alt: `${variant.name}, ${variant.width}×${variant.height} ${variant.format}`,
    width: variant.width,
    height: variant.height,
    loading: 'lazy',
    className: 'variant-img loading',
  });
  // The placeholder (the job's LQIP over its dominant colour) shows until the variant has loaded.
  img.style.backgroundColor = placeholder?.dominantColor ?? '';
  if (placeholder?.lqip?.startsWith('data:image/'))
    img.style.backgroundImage = `url("${placeholder.lqip}")`;
  img.addEventListener('load', () => img.classList.remove('loading'), { once: true });
  return h(
    'figure',
    { className: 'variant' },
    img,
    h(
      'figcaption',
      {},
      `${variant.name}: ${variant.format}, ${variant.width}×${variant.height}, ${bytes(variant.bytes)} `,
      h(
        'a',
        { href: variant.url, target: '_blank', rel: 'noopener noreferrer' },
        'open',
        h('span', { className: 'visually-hidden' }, ` ${variant.name} ${variant.format}`),
      ),
    ),
  );
}

function responsive(job) {
  const formats = Object.keys(job.result.srcset ?? {});
  if (!formats.length) return undefined;
  const format = formats.includes('webp') ? 'webp' : formats[0];
  const first = job.result.variants.find((v) => v.format === format) ?? job.result.variants[0];
  return h(
    'figure',
    { className: 'responsive' },
    h('img', {
      srcset: job.result.srcset[format],
      sizes: '(max-width: 600px) 100vw, 480px',
      src: first.url,
      alt: `Responsive ${format} image of job ${job.jobId}`,
      className: 'variant-img',
    }),
    h('figcaption', {}, `srcset (${format}): the browser picks the width it needs`),
  );
}

function provenance(result) {
  const p = result.provenance;
  if (!p) return undefined;
  const rows = [
    ['Source type', p.digitalSourceType],
    ['Tool', p.creatorTool],
    ['Model', p.model ?? '–'],
    ['Source SHA-256', p.sourceSha256],
    ['C2PA', p.c2pa],
    ['Preset set', result.presetSet],
    ['Source', `${result.source?.format} ${result.source?.width}×${result.source?.height}`],
  ];
  return h(
    'details',
    {},
    h('summary', {}, 'Provenance'),
    h(
      'dl',
      { className: 'provenance' },
      rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
  );
}

function card(job) {
  const li = cards.get(job.jobId) ?? h('li', { className: 'job', 'data-job': job.jobId });
  cards.set(job.jobId, li);
  li.dataset.status = job.status;
  const head = h(
    'p',
    { className: 'job-head' },
    h('code', {}, job.jobId),
    ' ',
    h('span', { className: `badge ${job.status}` }, job.status),
    ` ${job.tool ?? ''} · ${when(job.submittedAt)}`,
  );
  const parts = [head];
  if (job.status !== 'completed' && job.status !== 'failed')
    parts.push(
      h('progress', {
        max: 100,
        value: job.progress ?? 0,
        'aria-label': `Progress of ${job.jobId}`,
      }),
    );
  if (job.status === 'failed')
    parts.push(
      h(
        'p',
        { className: 'error', role: 'alert' },
        `${job.error?.code ?? 'E_FAILED'}: ${job.error?.message ?? ''}`,
      ),
    );
  if (job.status === 'completed' && job.result) {
    parts.push(
      h('p', {}, `${job.result.variants.length} variant(s), ${job.result.visibility}`),
      responsive(job),
      h(
        'div',
        { className: 'variants' },
        job.result.variants.map((v) => variantFigure(job, v)),
      ),
      provenance(job.result),
    );
  }
  li.replaceChildren(...parts.filter(Boolean));
  return li;
}

/** Holds a request open until the job finishes (or 20 s pass), then again, updating its card each time. */
async function watch(jobId) {
  if (watching.has(jobId)) return;
  const stop = new AbortController();
  watching.set(jobId, stop);
  try {
    for (;;) {
      const job = await api(`/v1/images/${jobId}?wait=20`, { signal: stop.signal });
      card(job);
      if (job.status === 'completed' || job.status === 'failed') break;
    }
  } catch (error) {
    if (error.name !== 'AbortError') say('jobs-status', error.message, true);
  } finally {
    watching.delete(jobId);
  }
}

/** Lists the recent jobs again, and watches those still running. */
export async function refreshJobs() {
  try {
    const { items } = await api('/v1/images?limit=20');
    $('job-list').replaceChildren(...items.map(card));
    if (!items.length) say('jobs-status', 'No jobs yet: start one above.');
    for (const job of items)
      if (job.status !== 'completed' && job.status !== 'failed') watch(job.jobId);
  } catch (error) {
    say('jobs-status', error.message, true);
  }
}

async function start(event) {
  event.preventDefault();
  const sourceKey = $('job-source').value;
  if (!sourceKey) return say('jobs-status', 'Upload a file first (Files).', true);
  const body = { tool: $('job-tool').value, sourceKey, visibility: $('job-visibility').value };
  if ($('job-presets').value) body.presets = $('job-presets').value;
  if ($('job-model').value.trim()) body.model = $('job-model').value.trim();
  try {
    const { jobId } = await api('/v1/images', { method: 'POST', body });
    say('jobs-status', `Job ${jobId} queued.`);
    $('job-list').prepend(
      card({
        jobId,
        status: 'queued',
        progress: 0,
        tool: body.tool,
        submittedAt: new Date().toISOString(),
      }),
    );
    watch(jobId);
  } catch (error) {
    say('jobs-status', error.message, true);
  }
}

/** Fills a source picker with the listed files. */
export function fillSources(select, files, accept = () => true) {
  const current = select.value;
  const options = files
    .filter(accept)
    .map((f) =>
      h(
        'option',
        { value: f.key, selected: f.key === current },
        f.key.split('/').slice(2).join('/'),
      ),
    );
  select.replaceChildren(
    ...(options.length ? options : [h('option', { value: '' }, 'no files listed yet')]),
  );
}

export function setUpJobs() {
  $('job-form').addEventListener('submit', start);
}

/** Ends every long poll (leaving the panel or changing key). */
export function stopWatching() {
  for (const stop of watching.values()) stop.abort();
}
