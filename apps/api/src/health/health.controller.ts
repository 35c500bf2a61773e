import { Controller, Get, Inject, Res } from '@nestjs/common';
import { checkReadiness } from '@monorepo/observability';
import type { PrometheusMonitoring } from '@monorepo/observability';
import type { Logger } from 'pino';
import type { StorageAdapter } from '@monorepo/storage';
import type { Queue } from 'bullmq';
import type { Response } from 'express';
import { OPENAPI_DOCUMENT } from '../openapi.js';
import { LOGGER, MONITORING, QUEUE, STORAGE } from '../tokens.js';

/** Unauthenticated operational endpoints. */
@Controller()
export class HealthController {
  constructor(
    @Inject(QUEUE) private readonly queue: Queue,
    @Inject(STORAGE) private readonly storage: StorageAdapter,
    @Inject(MONITORING) private readonly monitoring: PrometheusMonitoring,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when Redis and storage answer; 503 naming the failing dependency (details only in the logs) otherwise. */
  @Get('readyz')
  async ready(@Res() res: Response): Promise<void> {
    const { ready, body } = await checkReadiness(
      {
        redis: async () =>
          ((await this.queue.client) as unknown as { ping(): Promise<string> }).ping(),
        storage: () => this.storage.checkHealth(),
      },
      { onFailure: (check, error) => this.logger.warn({ check, err: error }, 'not ready') },
    );
    res.status(ready ? 200 : 503).json(body);
  }

  @Get('metrics')
  async metrics(@Res() res: Response): Promise<void> {
    res.setHeader('content-type', this.monitoring.contentType);
    res.send(await this.monitoring.metrics());
  }

  @Get('openapi.json')
  openapi(): unknown {
    return OPENAPI_DOCUMENT;
  }
}
