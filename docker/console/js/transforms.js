// Transforms: build a signed on-the-fly URL (width, height, fit, gravity, format) and show source and result.
import { api, keyPath } from './api.js';
import { $, say } from './dom.js';
import { listedFiles } from './files.js';

async function build(event) {
  event.preventDefault();
  const sourceKey = $('tf-source').value;
  if (!sourceKey) return say('transform-status', 'Upload an image first (Files).', true);
  const width = Number($('tf-width').value) || 0;
  const height = Number($('tf-height').value) || 0;
  const options = [`rs:${$('tf-fit').value}:${width}:${height}`, `g:${$('tf-gravity').value}`];
  try {
    say('transform-status', 'Signing…');
    const minted = await api('/v1/transform-urls', {
      method: 'POST',
      body: { sourceKey, options, format: $('tf-format').value, expiresIn: 3600 },
    });
    $('tf-url').value = minted.url;
    const source = listedFiles().find((f) => f.key === sourceKey);
    const original = source?.url ?? (await api(`/v1/signed-urls/${keyPath(sourceKey)}`)).url;
    $('tf-original').src = original;
    const result = $('tf-result');
    result.addEventListener(
      'load',
      () => {
        $('tf-result-caption').textContent =
          `Result: ${result.naturalWidth}×${result.naturalHeight} ${$('tf-format').value}`;
        say('transform-status', 'Rendered.');
      },
      { once: true },
    );
    result.addEventListener(
      'error',
      () => say('transform-status', 'The imaging service refused or failed to render it.', true),
      { once: true },
    );
    result.src = minted.url;
  } catch (error) {
    say('transform-status', error.message, true);
  }
}

export function setUpTransforms() {
  $('transform-form').addEventListener('submit', build);
}
