// Pieces the OpenAPI document repeats: schema references, JSON answers, errors, auth, the key, the visibility body.

/** A reference to one of the document's `components.schemas` (generated from `api-schemas.ts`). */
export const schemaRef = (id: string) => ({ $ref: `#/components/schemas/${id}` });
/** A JSON answer whose body is the component schema `id`. */
export const jsonAnswer = (description: string, id: string) => ({
  description,
  content: { 'application/json': { schema: schemaRef(id) } },
});
const error = schemaRef('Error');
export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: error } },
});
export const auth = [{ bearer: [] }];
/** A required JSON request body: an object with exactly these properties, `required` among them. */
export const jsonObjectBody = (required: string[], properties: Record<string, object>) => ({
  required: true,
  content: {
    'application/json': {
      schema: { type: 'object', additionalProperties: false, required, properties },
    },
  },
});
export const visibilityBody = jsonObjectBody(['visibility'], {
  visibility: { $ref: '#/components/schemas/Visibility' },
});
export const keyParam = {
  name: 'key',
  in: 'path',
  required: true,
  description: 'Object key, each segment percent-encoded',
  schema: { type: 'string' },
};
export const common = {
  '401': errorResponse('Missing or unknown API key'),
  '404': errorResponse('No such object, or not yours'),
  '429': errorResponse(
    'E_RATE_LIMITED: this key passed API_RATE_LIMIT requests in the window (see Retry-After and RateLimit-* headers)',
  ),
};

/** The API's OpenAPI 3.1 document, served at `/openapi.json`. A test keeps it in step with the routes. */
