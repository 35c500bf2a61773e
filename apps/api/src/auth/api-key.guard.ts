import { Inject, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../http/api-error.js';
import { CONFIG } from '../tokens.js';
import type { ApiConfig } from '../api-config.js';

/** A request that passed {@link ApiKeyGuard}. */
export type AuthedRequest = Request & { userId: string; id?: string };

/** Requires `Authorization: Bearer <key>` with a configured key; sets `req.userId`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly config: ApiConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const match = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    const userId = match ? this.config.keys.userFor(match[1]!) : undefined;
    if (!userId) {
      throw new ApiError('E_UNAUTHORIZED', 'Missing or unknown API key', {
        'www-authenticate': 'Bearer',
      });
    }
    req.userId = userId;
    return true;
  }
}
