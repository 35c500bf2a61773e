import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new endpoint secret in the Standard Webhooks form: `whsec_` and 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `${PREFIX}${randomBytes(24).toString('base64')}`;
}

/**
 * The `webhook-signature` header of one message: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` for each
 * secret, space-separated (two while a rotated secret overlaps the new one), as the Standard Webhooks spec has it.
 */
export function signWebhook(
  secrets: readonly string[],
  id: string,
  timestampS: number,
  body: string,
): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(
        secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret,
        'base64',
      );
      const mac = createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}
