import { readFile } from 'node:fs/promises';
import type * as Client from '@monorepo/api-client';
import type { DeliveryAttempt } from '@monorepo/webhooks';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type * as S from './api-schemas.js';
import { storedFileSchema } from './api-schemas.js';
import { CLIENT_TYPES_FILE, renderClientTypes } from './client-types.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { openApiSchemas } from './openapi-schemas.js';
import type { TeamUsage } from './usage/team-usage.js';

type Out<T extends z.ZodType> = z.output<T>;

describe("the API's shapes, from one source", () => {
  it("the OpenAPI document's component schemas are the zod schemas' JSON Schema", () => {
    const generated = openApiSchemas();
    expect(Object.keys(generated).sort()).toContain('ImageJobResult');
    const { ImageJobRequest: _request, ...components } = OPENAPI_DOCUMENT.components.schemas;
    expect(JSON.parse(JSON.stringify(components))).toEqual(generated);
    // Every reference in the document names a component it has.
    const refs = JSON.stringify(OPENAPI_DOCUMENT).matchAll(
      /"\$ref":"#\/components\/schemas\/(\w+)"/g,
    );
    for (const [, id] of refs) expect(OPENAPI_DOCUMENT.components.schemas, id).toHaveProperty(id!);
  });

  it("the api-client's committed types are what the document generates (else run generate:client-types)", async () => {
    const committed = await readFile(CLIENT_TYPES_FILE, 'utf8');
    expect(committed).toBe(await renderClientTypes());
  });

  it('fails the comparison when a schema changes', async () => {
    const schemas = openApiSchemas();
    const changed = {
      ...schemas,
      StoredFile: {
        ...schemas['StoredFile'],
        properties: {
          ...(schemas['StoredFile']!['properties'] as object),
          extra: { type: 'string' },
        },
      },
    };
    expect(await renderClientTypes(changed)).not.toBe(await renderClientTypes(schemas));
  });

  it('parses what the API answers, and refuses what it must not', () => {
    const stored = storedFileSchema.parse({
      key: 'uploads/u/1/a.txt',
      url: 'https://cdn.example/a.txt',
      size: 3,
      contentType: 'text/plain',
      etag: '"abc"',
      visibility: 'public',
    });
    expect(stored.size).toBe(3);
    expect(() => storedFileSchema.parse({ ...stored, size: -1 })).toThrow();
    expect(() => storedFileSchema.parse({ ...stored, extra: 1 })).toThrow(); // closed
    expect(() => storedFileSchema.parse({ ...stored, expiresAt: 'tomorrow' })).toThrow();
    expect(
      storedFileSchema.parse({ ...stored, expiresAt: new Date(0).toISOString() }).expiresAt,
    ).toBe('1970-01-01T00:00:00.000Z');
  });

  it('the client types, the zod schemas and the server types are one', () => {
    expectTypeOf<Client.StoredFile>().toEqualTypeOf<Out<typeof S.storedFileSchema>>();
    expectTypeOf<Client.IssuedUrl>().toEqualTypeOf<Out<typeof S.issuedUrlSchema>>();
    expectTypeOf<Client.FileList>().toEqualTypeOf<Out<typeof S.fileListSchema>>();
    expectTypeOf<Client.FileListItem>().toEqualTypeOf<Out<typeof S.fileListItemSchema>>();
    expectTypeOf<Client.ImageJob>().toEqualTypeOf<Out<typeof S.imageJobSchema>>();
    expectTypeOf<Client.ImageJobList>().toEqualTypeOf<Out<typeof S.imageJobListSchema>>();
    expectTypeOf<Client.ImageJobResult>().toEqualTypeOf<Out<typeof S.imageJobResultSchema>>();
    expectTypeOf<Client.UploadIntentAnswer>().toEqualTypeOf<Out<typeof S.uploadIntentSchema>>();
    expectTypeOf<Client.UploadTarget>().toEqualTypeOf<Out<typeof S.uploadTargetSchema>>();
    expectTypeOf<Client.MultipartUploadAnswer>().toEqualTypeOf<
      Out<typeof S.multipartUploadSchema>
    >();
    expectTypeOf<Client.UploadPart>().toEqualTypeOf<Out<typeof S.uploadPartSchema>>();
    expectTypeOf<Client.WebhookEndpoint>().toEqualTypeOf<Out<typeof S.webhookEndpointSchema>>();
    expectTypeOf<Client.CreatedWebhook>().toEqualTypeOf<Out<typeof S.createdWebhookSchema>>();
    expectTypeOf<Client.WebhookDelivery>().toEqualTypeOf<Out<typeof S.webhookDeliverySchema>>();
    expectTypeOf<Client.TeamUsage>().toEqualTypeOf<Out<typeof S.teamUsageSchema>>();
    // What the server builds its answers from.
    expectTypeOf<TeamUsage>().toEqualTypeOf<Out<typeof S.teamUsageSchema>>();
    expectTypeOf<DeliveryAttempt>().toEqualTypeOf<Out<typeof S.webhookDeliverySchema>>();
  });
});
