import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { PrometheusMonitoring } from '@monorepo/observability';
import type { StorageAdapter } from '@monorepo/storage';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { ApiConfig } from './api-config.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { CdnUrls } from './cdn/cdn-urls.js';
import { SignedUrlsController } from './cdn/signed-urls.controller.js';
import { TransformUrlsController } from './imaging/transform-urls.controller.js';
import { CompanionController } from './uploads/companion.controller.js';
import { MultipartController } from './uploads/multipart.controller.js';
import { UploadsController } from './uploads/uploads.controller.js';
import { FilesController } from './files/files.controller.js';
import { HealthController } from './health/health.controller.js';
import { ImagesController } from './images/images.controller.js';
import type { ApiLimits } from './limits/api-limits.js';
import { RateLimitGuard } from './limits/rate-limit.guard.js';
import type { JobWaiters } from './images/job-waiters.js';
import type { ApiWebhooks } from './webhooks/api-webhooks.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { UsageController } from './usage/usage.controller.js';
import {
  CDN_URLS,
  CONFIG,
  JOB_WAITERS,
  LIMITS,
  LOGGER,
  MONITORING,
  QUEUE,
  STORAGE,
  WEBHOOKS,
} from './tokens.js';

/** Everything the API is wired from (built in main.ts, or by a test). */
export interface ApiDependencies {
  config: ApiConfig;
  storage: StorageAdapter;
  queue: Queue;
  logger: Logger;
  monitoring: PrometheusMonitoring;
  limits: ApiLimits;
  /** Holds `?wait=N` requests until their job finishes. */
  waiters: JobWaiters;
  /** Webhook endpoints, the event outbox and delivery attempts. */
  webhooks: ApiWebhooks;
}

@Module({})
export class AppModule {
  static forRoot(deps: ApiDependencies): DynamicModule {
    return {
      module: AppModule,
      controllers: [
        HealthController,
        FilesController,
        ImagesController,
        SignedUrlsController,
        MultipartController,
        UploadsController,
        CompanionController,
        TransformUrlsController,
        WebhooksController,
        UsageController,
      ],
      providers: [
        ApiKeyGuard,
        RateLimitGuard,
        { provide: LIMITS, useValue: deps.limits },
        { provide: JOB_WAITERS, useValue: deps.waiters },
        { provide: CONFIG, useValue: deps.config },
        { provide: STORAGE, useValue: deps.storage },
        { provide: QUEUE, useValue: deps.queue },
        { provide: LOGGER, useValue: deps.logger },
        { provide: MONITORING, useValue: deps.monitoring },
        { provide: WEBHOOKS, useValue: deps.webhooks },
        { provide: CDN_URLS, useValue: new CdnUrls(deps.storage, deps.config) },
      ],
    };
  }
}
