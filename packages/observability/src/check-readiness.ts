/** Named checks that each resolve when their dependency answers. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/** Outcome of {@link checkReadiness}: `ok` or `unavailable` (with a stable error code, if any) per check. */
export interface Readiness {
  ready: boolean;
  body: { status: 'ready' | 'unavailable'; checks: Record<string, string> };
}

/** Options for {@link checkReadiness}. */
export interface ReadinessOptions {
  /** Bound for each check (default 2000 ms). */
  timeoutMs?: number;
  /** Receives each failure with its full error, for the logs: the HTTP answer never carries error text. */
  onFailure?: (check: string, error: unknown) => void;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(
        () => reject(Object.assign(new Error(`timed out after ${ms} ms`), { code: 'ETIMEDOUT' })),
        ms,
      ).unref(),
    ),
  ]);
}

/** A stable, upper-case error code (`EACCES`, `ECONNREFUSED`, …) or nothing: never a message. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,31}$/.test(code) ? code : undefined;
}

/**
 * Runs every check in parallel, each bounded in time, for a `/readyz` answer (200 when `ready`, else 503).
 * A failing check reads `unavailable` or `unavailable (CODE)`: dependency error text (host names, ports,
 * paths) goes to `onFailure` for the logs, never to unauthenticated callers.
 */
export async function checkReadiness(
  checks: ReadinessChecks,
  options: ReadinessOptions = {},
): Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), timeoutMs);
        return [name, 'ok'] as const;
      } catch (error) {
        options.onFailure?.(name, error);
        const code = codeOf(error);
        return [name, code ? `unavailable (${code})` : 'unavailable'] as const;
      }
    }),
  );
  const ready = results.every(([, status]) => status === 'ok');
  return {
    ready,
    body: { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) },
  };
}
