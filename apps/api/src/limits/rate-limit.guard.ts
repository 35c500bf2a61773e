import { Inject, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { rateLimitHeaders } from '@monorepo/tenant-limits';
import type { Response } from 'express';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { ApiError } from '../http/api-error.js';
import { LIMITS } from '../tokens.js';
import type { ApiLimits } from './api-limits.js';

/**
 * Counts every authenticated request against its user's budget (after {@link ApiKeyGuard}); answers `429`
 * with `Retry-After` past it. Every answer carries `RateLimit-Limit`, `-Remaining` and `-Reset`.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(@Inject(LIMITS) private readonly limits: ApiLimits) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<AuthedRequest>();
    const decision = await this.limits.rate.consume(req.userId);
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed)
      throw new ApiError(
        'E_RATE_LIMITED',
        `Too many requests for this key: at most ${decision.limit} per window; retry in ${decision.resetSeconds} s`,
        headers,
      );
    http.getResponse<Response>().set(headers);
    return true;
  }
}
