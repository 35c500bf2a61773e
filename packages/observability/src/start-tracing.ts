/** A started tracer provider: flush and stop it on shutdown. */
export interface Tracing {
  /** False when tracing is off (no `OTEL_EXPORTER_OTLP_*ENDPOINT`, or `OTEL_TRACES_EXPORTER=none`). */
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

let started = false;

/** True once {@link startTracing} started a provider in this process (spans are then recorded). */
export function tracingStarted(): boolean {
  return started;
}

/** True when the standard `OTEL_*` environment asks for traces. */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts OpenTelemetry tracing for a service from the standard environment: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `…_TRACES_ENDPOINT`; OTLP over HTTP), `OTEL_SERVICE_NAME` (default `service`), `OTEL_TRACES_SAMPLER` and its
 * argument, `OTEL_BSP_*`. Off when no endpoint is set: the SDK is then never loaded, and the spans the code
 * makes through `@opentelemetry/api` are no-ops. W3C trace context is the propagator.
 */
export async function startTracing(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tracing> {
  if (!tracingWanted(env)) return { enabled: false, shutdown: async () => undefined };
  const [
    { NodeTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  started = true;
  return { enabled: true, shutdown: () => provider.shutdown() };
}
