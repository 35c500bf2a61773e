import { Controller, Get, Inject, Req, UseGuards } from '@nestjs/common';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { ApiError } from '../http/api-error.js';
import type { ApiLimits } from '../limits/api-limits.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import { CONFIG, LIMITS, WEBHOOKS } from '../tokens.js';
import type { ApiWebhooks } from '../webhooks/api-webhooks.js';
import { teamUsage } from './team-usage.js';

/** The caller's team usage: storage from the ledger, uploads open, jobs pending and finished in a window. */
@Controller('v1/usage')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class UsageController {
  constructor(
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LIMITS) private readonly limits: ApiLimits,
    @Inject(WEBHOOKS) private readonly webhooks: ApiWebhooks,
  ) {}

  /** `?hours=N` (1–168, default 24): the window of completed and failed jobs. */
  @Get()
  async get(@Req() req: AuthedRequest): Promise<unknown> {
    const raw = req.query.hours;
    const hours = raw === undefined ? 24 : Number(raw);
    if (!Number.isInteger(hours) || hours < 1 || hours > 168)
      throw new ApiError('E_VALIDATION', 'hours must be an integer from 1 to 168');
    return teamUsage(req.userId, hours, {
      config: this.config,
      limits: this.limits,
      webhooks: this.webhooks,
    });
  }
}
