import { auth, common, errorResponse, jsonObjectBody } from './openapi-parts.js';

/** The OpenAPI path of signed imaging URLs (apps/imaging, imgproxy's URL format). */
export const TRANSFORM_PATHS = {
  '/v1/transform-urls': {
    post: {
      summary:
        'A signed on-request render URL (imgproxy format, served by nginx at /img/) for one of your files or a public one',
      security: auth,
      requestBody: jsonObjectBody(['sourceKey'], {
        sourceKey: { type: 'string' },
        options: {
          description:
            'imgproxy processing options: ["rs:fill:300:200", "g:sm", "q:80"] or "rs:fill:300:200/q:80"',
          oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        },
        format: {
          type: 'string',
          enum: ['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif'],
          description: 'Absent: AVIF, WebP or JPEG by the Accept of whoever loads the URL',
        },
        expiresIn: { type: 'integer', minimum: 1, description: 'Seconds the URL works (adds exp)' },
        encoding: {
          type: 'string',
          enum: ['base64', 'plain'],
          description: 'How the source is written (default base64)',
        },
      }),
      responses: {
        '200': {
          description: 'The URL',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['url', 'path'],
                properties: {
                  url: { type: 'string', format: 'uri' },
                  path: { type: 'string' },
                  expiresAt: { type: 'string', format: 'date-time' },
                },
              },
            },
          },
        },
        '400': errorResponse('E_VALIDATION: unknown or malformed option, format or expiresIn'),
        '500': errorResponse('E_CONFIG: no imaging key is configured for your team'),
        ...common,
      },
    },
  },
} as const;
