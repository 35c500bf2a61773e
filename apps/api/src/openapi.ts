const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: error } },
});
const auth = [{ bearer: [] }];
const visibilityBody = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['visibility'],
        properties: { visibility: { $ref: '#/components/schemas/Visibility' } },
      },
    },
  },
};
const keyParam = {
  name: 'key',
  in: 'path',
  required: true,
  description: 'Object key, each segment percent-encoded',
  schema: { type: 'string' },
};
const common = {
  '401': errorResponse('Missing or unknown API key'),
  '404': errorResponse('No such object, or not yours'),
  '429': errorResponse(
    'E_RATE_LIMITED: this key passed API_RATE_LIMIT requests in the window (see Retry-After and RateLimit-* headers)',
  ),
};

/** The API's OpenAPI 3.1 document, served at `/openapi.json`. A test keeps it in step with the routes. */
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
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
      Visibility: {
        type: 'string',
        enum: ['public', 'private'],
        description:
          'public: anyone may read it through the CDN; private: only with a signed URL (checked by the CDN, or by the bucket on S3)',
      },
      IssuedUrl: {
        type: 'object',
        required: ['url'],
        properties: {
          url: { type: 'string', format: 'uri', description: 'Works now: public, or signed' },
          expiresAt: {
            type: 'string',
            format: 'date-time',
            description: 'When a signed URL stops working; absent for public URLs',
          },
        },
      },
      StoredFile: {
        type: 'object',
        required: ['key', 'url', 'size', 'contentType', 'etag', 'visibility'],
        properties: {
          key: { type: 'string' },
          url: { type: 'string', format: 'uri' },
          expiresAt: { type: 'string', format: 'date-time' },
          size: { type: 'integer' },
          contentType: { type: 'string' },
          etag: { type: 'string' },
          visibility: { $ref: '#/components/schemas/Visibility' },
        },
      },
      FileList: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                key: { type: 'string' },
                size: { type: 'integer' },
                contentType: { type: 'string' },
                lastModified: { type: 'string', format: 'date-time' },
                url: { type: 'string', format: 'uri' },
              },
            },
          },
          cursor: {
            type: 'string',
            description: 'Pass back to get the next page; absent on the last page',
          },
        },
      },
      ImageJobRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['tool'],
        properties: {
          tool: { type: 'string', enum: ['dall-e', 'sora', 'stable-diffusion'] },
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
        },
        oneOf: [{ required: ['sourceUrl'] }, { required: ['sourceKey'] }],
      },
      ImageJob: {
        type: 'object',
        required: ['jobId', 'status'],
        properties: {
          jobId: { type: 'string' },
          status: { type: 'string', enum: ['queued', 'active', 'completed', 'failed'] },
          progress: { type: 'number' },
          result: {
            type: 'object',
            description:
              'ProcessResult: source, original, variants[{name,key,url,format,contentType,width,height,bytes}], visibility, provenance{digitalSourceType,creatorTool,model,sourceSha256,c2pa}',
          },
          error: {
            type: 'object',
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
        },
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
        summary: 'List your uploads',
        security: auth,
        parameters: [
          { name: 'prefix', in: 'query', schema: { type: 'string' } },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
          {
            name: 'limit',
            in: 'query',
            description: 'Page size, at most API_LIST_LIMIT_MAX (100)',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
          },
        ],
        responses: {
          '200': {
            description: 'A page',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/FileList' } } },
          },
          '400': errorResponse('E_VALIDATION: limit out of range'),
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
    '/v1/uploads': {
      post: {
        summary:
          'Announce a direct upload: the answer says where to send the bytes (S3: a presigned POST pinning key, type and exact size; local: a single-use PUT URL), until expiresAt',
        security: auth,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'contentType', 'size'],
                properties: {
                  name: { type: 'string' },
                  contentType: { type: 'string' },
                  size: { type: 'integer', minimum: 0 },
                  visibility: { $ref: '#/components/schemas/Visibility' },
                },
              },
            },
          },
        },
        responses: {
          '201': {
            description:
              '{ id, key, expiresAt, upload: { method: "POST", url, fields, fileField } | { method: "PUT", url, headers } }',
          },
          '400': errorResponse('E_VALIDATION'),
          '413': errorResponse('E_TOO_LARGE or E_QUOTA_EXCEEDED'),
          ...common,
          '429': errorResponse('E_RATE_LIMITED, or E_TOO_MANY_UPLOADS: API_MAX_OPEN_UPLOADS open'),
        },
      },
    },
    '/v1/uploads/{id}/body': {
      put: {
        summary:
          'The bytes of an announced upload (local storage): no API key, the single-use token of its URL; exactly the announced type and size',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'token', in: 'query', required: true, schema: { type: 'string' } },
        ],
        requestBody: { required: true, content: { '*/*': {} } },
        responses: {
          '204': { description: 'Stored; complete it next' },
          '400': errorResponse('E_VALIDATION: not the announced size'),
          '401': errorResponse('E_UNAUTHORIZED: the token is wrong or spent'),
          '404': errorResponse('No such open intent'),
          '415': errorResponse('E_UNSUPPORTED_MEDIA_TYPE: not the announced type'),
        },
      },
    },
    '/v1/uploads/{id}/complete': {
      post: {
        summary:
          'Make the upload one of your files: exactly the announced size, for images bytes of the announced type, within your quota; otherwise it is removed',
        security: auth,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '201': {
            description: 'The file',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/StoredFile' } },
            },
          },
          '400': errorResponse(
            'E_VALIDATION: nothing uploaded yet, wrong size or type (then removed)',
          ),
          '413': errorResponse('E_QUOTA_EXCEEDED (then removed)'),
          ...common,
        },
      },
    },
    '/v1/signed-urls/{key}': {
      get: {
        summary: 'A signed CDN URL for one of your files (public or private)',
        security: auth,
        parameters: [
          keyParam,
          {
            name: 'expiresIn',
            in: 'query',
            description: 'Seconds, 1 to API_SIGNED_URL_MAX_S (default API_SIGNED_URL_TTL_S, 900)',
            schema: { type: 'integer', minimum: 1 },
          },
        ],
        responses: {
          '200': {
            description: 'The URL and when it expires; the CDN checks it without calling the API',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/IssuedUrl' } } },
          },
          '400': errorResponse('E_VALIDATION: expiresIn out of range'),
          ...common,
        },
      },
    },
    '/v1/images': {
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
