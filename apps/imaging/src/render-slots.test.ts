import { describe, expect, it } from 'vitest';
import { RenderSlots } from './render-slots.js';

const later = () => {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
};

describe('RenderSlots', () => {
  it('runs `concurrency` renders at once, queues `queueMax` more, and refuses the rest with E_OVERLOADED and Retry-After', async () => {
    const slots = new RenderSlots(2, 1, 5000);
    const gates = [later(), later(), later()];
    const running = gates.map((gate) => slots.run(() => gate.promise));
    expect([slots.active, slots.queued]).toEqual([2, 1]);
    await expect(slots.run(async () => 'x')).rejects.toMatchObject({
      code: 'E_OVERLOADED',
      retryAfter: 1,
    });
    gates[0]!.release();
    await running[0];
    expect([slots.active, slots.queued]).toEqual([2, 0]);
    gates[1]!.release();
    gates[2]!.release();
    await Promise.all(running);
    expect([slots.active, slots.queued]).toEqual([0, 0]);
  });

  it('gives up waiting for a slot after the queue timeout', async () => {
    const slots = new RenderSlots(1, 5, 50);
    const gate = later();
    const busy = slots.run(() => gate.promise);
    await expect(slots.run(async () => 'x')).rejects.toMatchObject({ code: 'E_OVERLOADED' });
    expect(slots.queued).toBe(0);
    gate.release();
    await busy;
  });
});
