/** Named checks that each resolve when their dependency answers. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/** Outcome of {@link checkReadiness}: `ok` or `unavailable: <reason>` per check. */
export interface Readiness {
  ready: boolean;
  body: { status: 'ready' | 'unavailable'; checks: Record<string, string> };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** Runs every check in parallel, each bounded by `timeoutMs`, for a `/readyz` answer (200 when `ready`, else 503). */
export async function checkReadiness(
  checks: ReadinessChecks,
  timeoutMs = 2000,
): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), timeoutMs);
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, `unavailable: ${(error as Error)?.message ?? 'error'}`] as const;
      }
    }),
  );
  const ready = results.every(([, status]) => status === 'ok');
  return {
    ready,
    body: { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) },
  };
}
