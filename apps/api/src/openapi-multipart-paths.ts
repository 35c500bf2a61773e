import { auth, common, errorResponse, jsonAnswer, jsonObjectBody } from './openapi-parts.js';

const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const uploadId = {
  name: 'uploadId',
  in: 'path',
  required: true,
  description: 'The intent id that POST /s3/multipart answered as uploadId',
  schema: { type: 'string' },
};
const key = {
  name: 'key',
  in: 'query',
  required: true,
  description: 'The key that POST /s3/multipart answered',
  schema: { type: 'string' },
};
const partNumber = { name: 'partNumber', in: 'path', required: true, schema: { type: 'integer' } };
const noMultipart = 'E_VALIDATION (also: the backend takes no multipart uploads)';

/**
 * The OpenAPI paths of multipart (resumable) direct uploads: ours under `/v1/uploads`, and Uppy Companion's S3
 * routes under `/s3` (the shapes `@uppy/aws-s3` sends with `endpoint` set to this API).
 */
export const MULTIPART_PATHS = {
  '/v1/uploads/multipart': {
    post: {
      summary:
        'Announce a multipart upload (S3 and local storage): its size and one object are reserved against your quota as for every intent; send parts of at least 5 MiB but the last, straight to the store (local storage: through PUT /v1/uploads/multipart/part), until expiresAt (API_MULTIPART_TTL_S), then complete or abort it at /v1/uploads/{id}',
      security: auth,
      requestBody: jsonObjectBody(['name', 'contentType', 'size'], {
        name: { type: 'string' },
        contentType: { type: 'string' },
        size: { type: 'integer', minimum: 1 },
        visibility: { $ref: '#/components/schemas/Visibility' },
      }),
      responses: {
        '201': jsonAnswer('The upload, until expiresAt', 'MultipartUpload'),
        '400': errorResponse(noMultipart),
        '413': errorResponse('E_TOO_LARGE (API_MULTIPART_MAX_BYTES), or E_QUOTA_EXCEEDED'),
        ...common,
        '429': errorResponse('E_RATE_LIMITED, or E_TOO_MANY_UPLOADS: API_MAX_OPEN_UPLOADS open'),
      },
    },
  },
  '/v1/uploads/{id}/parts': {
    get: {
      summary: 'The parts the store holds for an open multipart upload (to resume after a reload)',
      security: auth,
      parameters: [id],
      responses: {
        '200': jsonAnswer('The parts stored so far', 'UploadPartList'),
        '400': errorResponse(noMultipart),
        ...common,
      },
    },
  },
  '/v1/uploads/{id}/parts/{partNumber}': {
    post: {
      summary:
        'A presigned URL to PUT one part: for this part number of this upload only, and only up to the parts its announced size can need; the ETag of the answer names the part',
      security: auth,
      parameters: [id, partNumber],
      responses: {
        '200': jsonAnswer('The presigned part URL and when it expires', 'IssuedUrl'),
        '400': errorResponse(`${noMultipart}: a part number past what the size needs`),
        ...common,
      },
    },
  },
  '/v1/uploads/multipart/part': {
    put: {
      summary:
        'Local storage: the bytes of one part, at the URL POST /v1/uploads/{id}/parts/{partNumber} handed out (no API key: the URL is signed for one part of one upload, up to the size that part can need, until it expires, and works once; a part cut off gives it back). The ETag of the answer names the part',
      parameters: [
        'key',
        'uploadId',
        'partNumber',
        'maxBytes',
        'expires',
        'nonce',
        'signature',
      ].map((name) => ({ name, in: 'query', required: true, schema: { type: 'string' } })),
      requestBody: {
        required: true,
        content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
      },
      responses: {
        '200': { description: 'Stored; the ETag header names the part' },
        '400': errorResponse('E_VALIDATION: longer than the URL allows, or not its Content-Length'),
        '403': errorResponse('E_FORBIDDEN: forged, expired or already used'),
        '404': errorResponse('E_NOT_FOUND: the upload is completed, aborted or expired'),
      },
    },
  },
  '/s3/params': {
    get: {
      summary:
        "Companion's single-request upload: refused (nothing would complete it); configure @uppy/aws-s3 with shouldUseMultipart: true",
      security: auth,
      responses: { '400': errorResponse('E_VALIDATION'), ...common },
    },
  },
  '/s3/multipart': {
    post: {
      summary:
        "Companion's create: { filename, type, metadata } with the size in metadata.size (Uppy: the file's meta) → { uploadId, key }; an intent as POST /v1/uploads/multipart",
      security: auth,
      requestBody: jsonObjectBody(['filename'], {
        filename: { type: 'string' },
        type: { type: 'string' },
        metadata: { type: 'object' },
      }),
      responses: {
        '200': { description: '{ uploadId, key }' },
        '400': errorResponse(`${noMultipart}; no metadata.size`),
        '413': errorResponse('E_TOO_LARGE, or E_QUOTA_EXCEEDED'),
        ...common,
      },
    },
  },
  '/s3/multipart/{uploadId}': {
    get: {
      summary: "Companion's list parts: [{ PartNumber, Size, ETag }]",
      security: auth,
      parameters: [uploadId, key],
      responses: { '200': { description: '[{ PartNumber, Size, ETag }]' }, ...common },
    },
    delete: {
      summary: "Companion's abort: the store drops the parts and the reservation is released",
      security: auth,
      parameters: [uploadId, key],
      responses: { '200': { description: '{}' }, ...common },
    },
  },
  '/s3/multipart/{uploadId}/{partNumber}': {
    get: {
      summary: "Companion's sign part: { url, expires }",
      security: auth,
      parameters: [uploadId, partNumber, key],
      responses: {
        '200': { description: '{ url, expires }' },
        '400': errorResponse('E_VALIDATION: a part number past what the size needs'),
        ...common,
      },
    },
  },
  '/s3/multipart/{uploadId}/complete': {
    post: {
      summary:
        "Companion's complete: { parts: [{ PartNumber, ETag }] }, checked against the store's parts and the announced size before assembling, then the checks of every intent → { location, key, size, etag }",
      security: auth,
      parameters: [uploadId, key],
      requestBody: jsonObjectBody(['parts'], {
        parts: { type: 'array', items: { type: 'object' } },
      }),
      responses: {
        '200': { description: '{ location, key, size, etag }' },
        '400': errorResponse(
          'E_VALIDATION: a part not stored as named, missing parts, not the announced size or type (nothing stored)',
        ),
        ...common,
      },
    },
  },
};
