import { auth, common, errorResponse, jsonObjectBody } from './openapi-parts.js';

const EVENTS = [
  'upload.completed',
  'job.completed',
  'job.failed',
  'file.deleted',
  'file.visibility_changed',
];
const endpoint = {
  type: 'object',
  required: ['id', 'url', 'events', 'createdAt'],
  properties: {
    id: { type: 'string' },
    url: { type: 'string', format: 'uri' },
    events: { type: 'array', items: { type: 'string', enum: EVENTS } },
    description: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};
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
        events: { type: 'array', minItems: 1, items: { type: 'string', enum: EVENTS } },
        description: { type: 'string', maxLength: 200 },
      }),
      responses: {
        '201': json('The endpoint and its secret', {
          ...endpoint,
          required: [...endpoint.required, 'secret'],
          properties: { ...endpoint.properties, secret: { type: 'string' } },
        }),
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
        '200': json('The endpoints', {
          type: 'object',
          properties: { items: { type: 'array', items: endpoint } },
        }),
        ...common,
      },
    },
  },
  '/v1/webhooks/{id}': {
    get: {
      summary: 'One endpoint (no secret)',
      security: auth,
      parameters: [idParam],
      responses: { '200': json('The endpoint', endpoint), ...common },
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
        '200': json('The attempts', {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              items: {
                type: 'object',
                required: ['eventId', 'type', 'attempt', 'at', 'ms', 'outcome'],
                properties: {
                  eventId: { type: 'string' },
                  type: { type: 'string', enum: EVENTS },
                  attempt: { type: 'integer' },
                  redelivery: { type: 'boolean' },
                  at: { type: 'string', format: 'date-time' },
                  status: { type: 'integer' },
                  error: { type: 'string' },
                  ms: { type: 'integer' },
                  outcome: { type: 'string', enum: ['delivered', 'retrying', 'dead'] },
                },
              },
            },
          },
        }),
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
        '200': json('The figures', {
          type: 'object',
          required: ['team', 'storage', 'uploads', 'jobs', 'webhooks'],
          properties: {
            team: { type: 'string' },
            storage: {
              type: 'object',
              properties: {
                bytes: { type: 'integer' },
                objects: { type: 'integer' },
                reservedBytes: { type: 'integer' },
                quota: {
                  type: 'object',
                  properties: { bytes: { type: 'integer' }, objects: { type: 'integer' } },
                },
              },
            },
            uploads: {
              type: 'object',
              properties: { inFlight: { type: 'integer' }, openIntents: { type: 'integer' } },
            },
            jobs: {
              type: 'object',
              properties: {
                pending: { type: 'integer' },
                completed: { type: 'integer' },
                failed: { type: 'integer' },
                windowHours: { type: 'integer' },
              },
            },
            webhooks: {
              type: 'object',
              properties: { pendingDeliveries: { type: 'integer' } },
            },
          },
        }),
        '400': errorResponse('E_VALIDATION: hours out of range'),
        ...common,
      },
    },
  },
} as const;
