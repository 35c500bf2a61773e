import {
  auth,
  common,
  errorResponse,
  jsonAnswer,
  jsonObjectBody,
  schemaRef,
} from './openapi-parts.js';

const json = (description: string, schema: object) => ({
  description,
  content: { 'application/json': { schema } },
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** The OpenAPI paths of webhooks and usage (docs/EVENTS.md). */
export const WEBHOOK_PATHS = {
  '/v1/webhooks': {
    post: {
      summary:
        'Add a webhook endpoint for your team; the answer carries its whsec_ secret, shown this once',
      security: auth,
      requestBody: jsonObjectBody(['url', 'events'], {
        url: { type: 'string', format: 'uri' },
        events: { type: 'array', minItems: 1, items: schemaRef('WebhookEventType') },
        description: { type: 'string', maxLength: 200 },
      }),
      responses: {
        '201': jsonAnswer('The endpoint and its secret', 'CreatedWebhook'),
        '400': errorResponse(
          'E_VALIDATION: malformed body; E_FORBIDDEN_TARGET: the URL breaks the address rules',
        ),
        '409': errorResponse('E_TOO_MANY_WEBHOOKS: WEBHOOK_MAX_ENDPOINTS reached'),
        ...common,
      },
    },
    get: {
      summary: "Your team's webhook endpoints (no secrets)",
      security: auth,
      responses: {
        '200': jsonAnswer('The endpoints', 'WebhookEndpointList'),
        ...common,
      },
    },
  },
  '/v1/webhooks/{id}': {
    get: {
      summary: 'One endpoint (no secret)',
      security: auth,
      parameters: [idParam],
      responses: { '200': jsonAnswer('The endpoint', 'WebhookEndpoint'), ...common },
    },
    delete: {
      summary: 'Remove an endpoint: nothing more is sent to it, pending retries included',
      security: auth,
      parameters: [idParam],
      responses: { '204': { description: 'Removed' }, ...common },
    },
  },
  '/v1/webhooks/{id}/rotate-secret': {
    post: {
      summary:
        'A new secret; the previous one keeps signing (a second signature) for WEBHOOK_SECRET_OVERLAP_S',
      security: auth,
      parameters: [idParam],
      responses: {
        '201': json('The new secret', {
          type: 'object',
          required: ['secret'],
          properties: {
            secret: { type: 'string' },
            previousUntil: { type: 'string', format: 'date-time' },
          },
        }),
        ...common,
      },
    },
  },
  '/v1/webhooks/{id}/deliveries': {
    get: {
      summary: 'Recent delivery attempts to an endpoint, newest first',
      security: auth,
      parameters: [idParam],
      responses: {
        '200': jsonAnswer('The attempts, newest first', 'WebhookDeliveryList'),
        ...common,
      },
    },
  },
  '/v1/webhooks/{id}/deliveries/{eventId}/redeliver': {
    post: {
      summary: 'Send a kept message to the endpoint again (same webhook-id, fresh retry schedule)',
      security: auth,
      parameters: [
        idParam,
        { name: 'eventId', in: 'path', required: true, schema: { type: 'string' } },
      ],
      responses: {
        '202': json('Queued', {
          type: 'object',
          properties: { eventId: { type: 'string' }, endpointId: { type: 'string' } },
        }),
        '429': errorResponse('E_TOO_MANY_JOBS: WEBHOOK_MAX_PENDING deliveries pending'),
        '401': common['401'],
        '404': common['404'],
      },
    },
  },
  '/v1/usage': {
    get: {
      summary:
        "Your team's usage: storage (the ledger), uploads open, jobs pending and finished in a window",
      security: auth,
      parameters: [
        {
          name: 'hours',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: 168, default: 24 },
        },
      ],
      responses: {
        '200': jsonAnswer('The figures', 'TeamUsage'),
        '400': errorResponse('E_VALIDATION: hours out of range'),
        ...common,
      },
    },
  },
} as const;
