import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ImageProcessingError, checkSourceUrl } from '@monorepo/image-processor/contract';
import {
  DELIVER_JOB,
  WEBHOOK_EVENT_TYPES,
  deliveryJobId,
  deliveryJobOptions,
  publicEndpoint,
  webhookTargetPolicy,
} from '@monorepo/webhooks';
import type { DeliveryJobData, WebhookEventType } from '@monorepo/webhooks';
import { z } from 'zod';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { ApiError, notFound } from '../http/api-error.js';
import { readJsonBodyAs } from '../http/json-body.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import { CONFIG, WEBHOOKS } from '../tokens.js';
import type { ApiWebhooks } from './api-webhooks.js';

const endpointSchema = z.strictObject({
  url: z.string().max(2048),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length),
  description: z.string().max(200).optional(),
});
const ENDPOINT_ID = /^ep_[0-9a-f]{32}$/;
const EVENT_ID = /^msg_[0-9a-f]{32}$/;

/**
 * A team's webhook endpoints (the team is the API key's user): create (the secret is in this answer only),
 * list, delete, rotate the secret, list recent attempts, redeliver a message.
 */
@Controller('v1/webhooks')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class WebhooksController {
  constructor(
    @Inject(WEBHOOKS) private readonly webhooks: ApiWebhooks,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  /** `{ url, events, description? }` → the endpoint and its `whsec_` secret (shown this once). */
  @Post()
  @HttpCode(201)
  async create(@Req() req: AuthedRequest): Promise<unknown> {
    const parsed = await readJsonBodyAs(req, endpointSchema);
    try {
      checkSourceUrl(parsed.url, webhookTargetPolicy(this.config));
    } catch (error) {
      if (error instanceof ImageProcessingError)
        throw new ApiError('E_FORBIDDEN_TARGET', error.message.replace(/^Source/, 'Webhook'));
      throw error;
    }
    const endpoint = await this.webhooks.endpoints.create(
      req.userId,
      {
        url: parsed.url,
        events: parsed.events as WebhookEventType[],
        ...(parsed.description ? { description: parsed.description } : {}),
      },
      this.config.WEBHOOK_MAX_ENDPOINTS,
    );
    if (!endpoint)
      throw new ApiError(
        'E_TOO_MANY_WEBHOOKS',
        `At most ${this.config.WEBHOOK_MAX_ENDPOINTS} webhook endpoints per key; delete one first`,
      );
    return { ...publicEndpoint(endpoint), secret: endpoint.secrets[0]!.secret };
  }

  @Get()
  async list(@Req() req: AuthedRequest): Promise<unknown> {
    const all = await this.webhooks.endpoints.list(req.userId);
    return { items: all.map(publicEndpoint) };
  }

  @Get(':id')
  async get(@Req() req: AuthedRequest, @Param('id') id: string): Promise<unknown> {
    return publicEndpoint(await this.#endpoint(req.userId, id));
  }

  /** Removes the endpoint: nothing more is sent to it, retries pending included. */
  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    if (!ENDPOINT_ID.test(id) || !(await this.webhooks.endpoints.remove(req.userId, id)))
      throw notFound('No such webhook endpoint');
    await this.webhooks.deliveries.forget(req.userId, id);
  }

  /** A new secret; the previous one keeps signing (a second signature) for `WEBHOOK_SECRET_OVERLAP_S`. */
  @Post(':id/rotate-secret')
  @HttpCode(201)
  async rotate(@Req() req: AuthedRequest, @Param('id') id: string): Promise<unknown> {
    const rotated = ENDPOINT_ID.test(id)
      ? await this.webhooks.endpoints.rotate(
          req.userId,
          id,
          this.config.WEBHOOK_SECRET_OVERLAP_S * 1000,
        )
      : undefined;
    if (!rotated) throw notFound('No such webhook endpoint');
    return rotated;
  }

  /** Recent attempts, newest first: message id, type, attempt, status code or error, outcome. */
  @Get(':id/deliveries')
  async deliveries(@Req() req: AuthedRequest, @Param('id') id: string): Promise<unknown> {
    await this.#endpoint(req.userId, id);
    return { items: await this.webhooks.deliveries.list(req.userId, id) };
  }

  /** Sends a kept message to the endpoint again (same `webhook-id`), with a fresh retry schedule. */
  @Post(':id/deliveries/:eventId/redeliver')
  @HttpCode(202)
  async redeliver(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Param('eventId') eventId: string,
  ): Promise<unknown> {
    await this.#endpoint(req.userId, id);
    const sent = EVENT_ID.test(eventId)
      ? (await this.webhooks.deliveries.list(req.userId, id, 1000)).find(
          (attempt) => attempt.eventId === eventId,
        )
      : undefined;
    if (!sent || !(await this.webhooks.deliveries.message(eventId)))
      throw notFound('No such message for this endpoint (or it is past its retention)');
    const jobId = deliveryJobId(eventId, id, Date.now());
    const priority = await this.webhooks.teamJobs.admit(req.userId, jobId);
    if (priority === undefined)
      throw new ApiError(
        'E_TOO_MANY_JOBS',
        `At most ${this.config.WEBHOOK_MAX_PENDING} deliveries pending per key`,
        { 'retry-after': '60' },
      );
    const data: DeliveryJobData = {
      eventId,
      type: sent.type,
      team: req.userId,
      endpointId: id,
      redelivery: true,
    };
    await this.webhooks.queue.add(DELIVER_JOB, data, {
      ...deliveryJobOptions(
        this.config.WEBHOOK_RETRY_SCHEDULE,
        this.config.WEBHOOK_RETENTION_S,
        priority,
      ),
      jobId,
    });
    return { eventId, endpointId: id, queued: true };
  }

  async #endpoint(team: string, id: string) {
    const endpoint = ENDPOINT_ID.test(id) ? await this.webhooks.endpoints.get(team, id) : undefined;
    if (!endpoint) throw notFound('No such webhook endpoint');
    return endpoint;
  }
}
