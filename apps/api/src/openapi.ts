import {
  auth,
  common,
  errorResponse,
  jsonAnswer,
  keyParam,
  visibilityBody,
} from './openapi-parts.js';
import { openApiSchemas } from './openapi-schemas.js';
import { TRANSFORM_PATHS } from './openapi-transform-paths.js';
import { WEBHOOK_PATHS } from './openapi-webhook-paths.js';
import { MULTIPART_PATHS } from './openapi-multipart-paths.js';
import { UPLOAD_PATHS } from './openapi-upload-paths.js';

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Storage platform API',
    version: '1.0.0',
    description:
      'Authenticated uploads and downloads, and image jobs. Every route but health, metrics and this document needs `Authorization: Bearer <key>`; a user reaches only their own files and jobs (anything else is 404). Errors are `{ "error": { "code", "message" } }`.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      // Every answer's shape, generated from the zod schemas of api-schemas.ts.
      ...openApiSchemas(),
      ImageJobRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['tool'],
        properties: {
          tool: { $ref: '#/components/schemas/ImageTool' },
          sourceUrl: {
            type: 'string',
            format: 'uri',
            description: 'http(s) only; private networks refused',
          },
          sourceKey: { type: 'string', description: 'One of your uploads' },
          visibility: {
            $ref: '#/components/schemas/Visibility',
            description: 'Of the outputs (default IMAGE_DEFAULT_VISIBILITY, public)',
          },
          model: {
            type: 'string',
            maxLength: 128,
            description: "The generating model, written into the outputs' XMP and metadata",
          },
          presets: {
            type: 'string',
            pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
            description:
              "The preset set to make: `default` (the seed's JPEG and WebP), `responsive` (320-1920 px in AVIF, WebP and JPEG) or one of IMAGE_PRESETS; default: the tool's set",
          },
        },
        oneOf: [{ required: ['sourceUrl'] }, { required: ['sourceKey'] }],
      },
    },
  },
  paths: {
    '/v1/files': {
      post: {
        summary:
          'Upload a file (raw body with its Content-Type, or multipart/form-data field "file"); streamed to storage',
        security: auth,
        parameters: [
          { name: 'name', in: 'query', schema: { type: 'string' } },
          {
            name: 'visibility',
            in: 'query',
            description: 'Default API_UPLOAD_VISIBILITY (private): its url is then signed',
            schema: { $ref: '#/components/schemas/Visibility' },
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/octet-stream': {}, 'multipart/form-data': {} },
        },
        responses: {
          '201': {
            description: 'Stored',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/StoredFile' } },
            },
          },
          '401': common['401'],
          '413': errorResponse(
            'E_TOO_LARGE: larger than MAX_UPLOAD_BYTES; E_QUOTA_EXCEEDED: over the user storage quota (bytes or objects). Nothing stored',
          ),
          '429': errorResponse(
            'E_RATE_LIMITED, or E_TOO_MANY_UPLOADS: API_MAX_CONCURRENT_UPLOADS already in flight for this key (Retry-After)',
          ),
        },
      },
      get: {
        summary: 'List your uploads, or your job outputs of one tool (folder=outputs&tool=…)',
        security: auth,
        parameters: [
          {
            name: 'folder',
            in: 'query',
            description:
              '"uploads" (default): uploads/<you>/; "outputs": your job outputs, processed/<tool>/<you>/ (needs tool)',
            schema: { type: 'string', enum: ['uploads', 'outputs'], default: 'uploads' },
          },
          {
            name: 'tool',
            in: 'query',
            description: 'With folder=outputs: whose outputs',
            schema: { type: 'string', enum: ['dall-e', 'sora', 'stable-diffusion'] },
          },
          {
            name: 'prefix',
            in: 'query',
            description: 'Relative to the folder (uploads: "<uuid>/…"; outputs: "<jobId>/…")',
            schema: { type: 'string' },
          },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
          {
            name: 'limit',
            in: 'query',
            description: 'Page size, at most API_LIST_LIMIT_MAX (100)',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
          },
          {
            name: 'include',
            in: 'query',
            description:
              '"visibility": each item also says whether it is public or private (one more read each)',
            schema: { type: 'string', enum: ['visibility'] },
          },
        ],
        responses: {
          '200': {
            description: 'A page',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/FileList' } } },
          },
          '400': errorResponse('E_VALIDATION: limit out of range, unknown folder or tool'),
          '401': common['401'],
          '429': common['429'],
        },
      },
    },
    '/v1/files/{key}': {
      get: {
        summary: 'Download (Range supported)',
        security: auth,
        parameters: [keyParam],
        responses: {
          '200': { description: 'The bytes' },
          '206': { description: 'A byte range' },
          '304': { description: 'Not modified' },
          '416': errorResponse('Range not satisfiable'),
          ...common,
        },
      },
      head: {
        summary: 'Headers only',
        security: auth,
        parameters: [keyParam],
        responses: { '200': { description: 'Headers' }, ...common },
      },
      delete: {
        summary: 'Delete',
        security: auth,
        parameters: [keyParam],
        responses: { '204': { description: 'Deleted' }, ...common },
      },
      patch: {
        summary: 'Make a file public or private, at once',
        security: auth,
        parameters: [keyParam],
        requestBody: visibilityBody,
        responses: {
          '200': {
            description: 'The key, its visibility and a URL that works now',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/IssuedUrl' } } },
          },
          '400': errorResponse('E_VALIDATION'),
          ...common,
        },
      },
    },
    ...UPLOAD_PATHS,
    ...MULTIPART_PATHS,
    '/v1/images': {
      get: {
        summary: 'Your latest jobs, newest first, each as GET /v1/images/{jobId} shows it',
        security: auth,
        parameters: [
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
        ],
        responses: {
          '200': jsonAnswer('Your latest jobs', 'ImageJobList'),
          '400': errorResponse('E_VALIDATION: limit out of range'),
          '401': common['401'],
          '429': common['429'],
        },
      },
      post: {
        summary: 'Queue an image job',
        security: auth,
        parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/ImageJobRequest' } },
          },
        },
        responses: {
          '202': {
            description: 'Queued',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ImageJob' } } },
          },
          '400': errorResponse('Invalid body or forbidden sourceUrl'),
          '409': errorResponse('Idempotency-Key reused for a different request'),
          '422': errorResponse('E_UNSUPPORTED_FORMAT: sourceKey is an empty file'),
          '503': errorResponse('Queue unavailable'),
          ...common,
          '429': errorResponse(
            'E_RATE_LIMITED, or E_TOO_MANY_JOBS: API_MAX_PENDING_JOBS queued or running for this key (Retry-After)',
          ),
        },
      },
    },
    '/v1/images/{jobId}': {
      get: {
        summary: 'Job status and result',
        security: auth,
        parameters: [
          { name: 'jobId', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'wait',
            in: 'query',
            description:
              'Hold the answer until the job completes or fails, at most this many seconds',
            schema: { type: 'integer', minimum: 1, maximum: 30 },
          },
        ],
        responses: {
          '200': {
            description: 'Status',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ImageJob' } } },
          },
          ...common,
        },
      },
      patch: {
        summary: "Make a completed job's outputs public or private, at once",
        security: auth,
        parameters: [{ name: 'jobId', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: visibilityBody,
        responses: {
          '200': {
            description: 'The job, with signed URLs when private',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ImageJob' } } },
          },
          '400': errorResponse('E_VALIDATION: bad body, or the job has not completed'),
          ...common,
        },
      },
    },
    ...TRANSFORM_PATHS,
    ...WEBHOOK_PATHS,
    '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'Alive' } } } },
    '/readyz': {
      get: {
        summary: 'Readiness (Redis and storage)',
        responses: {
          '200': { description: 'Ready' },
          '503': { description: 'A dependency is down' },
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'Text exposition' } },
      },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
    },
  },
} as const;
