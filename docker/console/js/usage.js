// Usage: the team's bytes and objects against its quota, uploads open, jobs by state.
import { api } from './api.js';
import { $, bytes, h, say } from './dom.js';

function meterRow(label, value, max, text) {
  const id = `usage-${label.toLowerCase().replace(/\W+/g, '-')}`;
  return [
    h('dt', { id }, label),
    h(
      'dd',
      {},
      max
        ? h('meter', {
            min: 0,
            max,
            value,
            'aria-labelledby': id,
            low: max * 0.7,
            high: max * 0.9,
            optimum: 0,
          })
        : null,
      ` ${text}`,
    ),
  ];
}

export async function refreshUsage() {
  try {
    say('usage-status', 'Loading…');
    const u = await api('/v1/usage');
    const { storage, uploads, jobs, webhooks } = u;
    $('usage-list').replaceChildren(
      ...meterRow('Team', 0, 0, u.team),
      ...meterRow(
        'Bytes stored',
        storage.bytes,
        storage.quota.bytes,
        `${bytes(storage.bytes)} of ${bytes(storage.quota.bytes)}`,
      ),
      ...meterRow(
        'Objects',
        storage.objects,
        storage.quota.objects,
        `${storage.objects} of ${storage.quota.objects}`,
      ),
      ...meterRow('Reserved by uploads in flight', 0, 0, bytes(storage.reservedBytes)),
      ...meterRow('Open upload intents', 0, 0, String(uploads.openIntents)),
      ...meterRow('Uploads in flight', 0, 0, String(uploads.inFlight)),
      ...meterRow('Jobs pending', 0, 0, String(jobs.pending)),
      ...meterRow(`Jobs completed (last ${jobs.windowHours} h)`, 0, 0, String(jobs.completed)),
      ...meterRow(`Jobs failed (last ${jobs.windowHours} h)`, 0, 0, String(jobs.failed)),
      ...meterRow('Webhook deliveries pending', 0, 0, String(webhooks.pendingDeliveries)),
    );
    say('usage-status', `As of ${new Date().toLocaleTimeString()}.`);
  } catch (error) {
    say('usage-status', error.message, true);
  }
}

export function setUpUsage() {
  $('usage-refresh').addEventListener('click', refreshUsage);
}
