import {
  auth,
  common,
  errorResponse,
  jsonAnswer,
  jsonObjectBody,
  keyParam,
} from './openapi-parts.js';

/** The OpenAPI paths of direct uploads and signed URLs. */
export const UPLOAD_PATHS = {
  '/v1/uploads': {
    post: {
      summary:
        'Announce a direct upload, reserving its size and one object against your quota: the answer says where to send the bytes (S3: a presigned POST pinning the staging key, type and exact size; local: a single-use PUT URL), until expiresAt',
      security: auth,
      requestBody: jsonObjectBody(['name', 'contentType', 'size'], {
        name: { type: 'string' },
        contentType: { type: 'string' },
        size: { type: 'integer', minimum: 0 },
        visibility: { $ref: '#/components/schemas/Visibility' },
      }),
      responses: {
        '201': jsonAnswer('Where and how to send the bytes, until expiresAt', 'UploadIntent'),
        '400': errorResponse('E_VALIDATION'),
        '413': errorResponse(
          'E_TOO_LARGE, or E_QUOTA_EXCEEDED: it does not fit beside what is stored and reserved',
        ),
        ...common,
        '429': errorResponse('E_RATE_LIMITED, or E_TOO_MANY_UPLOADS: API_MAX_OPEN_UPLOADS open'),
      },
    },
  },
  '/v1/uploads/{id}/body': {
    put: {
      summary:
        'The bytes of an announced upload (local storage), to its staging key: no API key, the token of its URL (spent once the bytes are stored; a wrong one changes nothing); exactly the announced type and size; takes an upload slot',
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'token', in: 'query', required: true, schema: { type: 'string' } },
      ],
      requestBody: { required: true, content: { '*/*': {} } },
      responses: {
        '204': { description: 'Stored; complete it next' },
        '400': errorResponse('E_VALIDATION: not the announced size'),
        '401': errorResponse('E_UNAUTHORIZED: the token is wrong or spent'),
        '404': errorResponse('No such open intent (or it expired while the bytes were sent)'),
        '415': errorResponse('E_UNSUPPORTED_MEDIA_TYPE: not the announced type'),
        '429': errorResponse('E_TOO_MANY_UPLOADS: all upload slots of the key are in use'),
      },
    },
  },
  '/v1/uploads/{id}/complete': {
    post: {
      summary:
        'Make the upload one of your files: exactly the announced size, for images bytes of the announced type (its reservation becomes the file); otherwise it is removed. Until then the final key does not exist',
      security: auth,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '201': jsonAnswer('The file', 'StoredFile'),
        '400': errorResponse(
          'E_VALIDATION: nothing uploaded yet, still being sent, wrong size or type (then removed)',
        ),
        ...common,
      },
    },
  },
  '/v1/uploads/{id}': {
    delete: {
      summary:
        'Give up an upload not yet completed: what was sent is removed and its reservation released (S3: once its form expired)',
      security: auth,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '204': { description: 'Given up' },
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
        '200': jsonAnswer(
          'The URL and when it expires; the CDN checks it without calling the API',
          'IssuedUrl',
        ),
        '400': errorResponse('E_VALIDATION: expiresIn out of range'),
        ...common,
      },
    },
  },
} as const;
