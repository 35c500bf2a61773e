/**
 * A pacer for a load loop: each call resolves `periodMs` after the previous one resolved (at once the first time, and
 * at once when the loop body already took longer). A paced load is the same on a quick machine and a slow one: the
 * failover suites' assertions need requests spread across the kills, not as many as the machine can make (unpaced,
 * a quick machine queued ~1500 jobs in 20 s, and spent a minute of CPU processing them).
 */
export function pacer(periodMs: number): () => Promise<void> {
  let last = 0;
  return async () => {
    const wait = last + periodMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    last = performance.now();
  };
}
