/** What a consuming team installs from the registry (the npm consumer installs every published package). */
export const CONSUMED = [
  '@monorepo/storage',
  '@monorepo/storage-local',
  '@monorepo/storage-s3',
  '@monorepo/image-processor',
] as const;

/** One use of every published package's public API, type-checked against the published `.d.ts` files. */
export const EVERY_PACKAGE = `
import { StorageError, validateKey, type StorageAdapter } from '@monorepo/storage-core';
import { LocalStorageAdapter } from '@monorepo/storage-local';
import { S3StorageAdapter } from '@monorepo/storage-s3';
import { StorageFactory, loadStorageConfig, type StorageConfig } from '@monorepo/storage';
import { ImageProcessor, ImageTool, type ProcessResult } from '@monorepo/image-processor';
import { imageJobDataSchema, type ImageJobData } from '@monorepo/image-queue';
import { PrometheusMonitoring, createLogger } from '@monorepo/observability';
import { MockS3Client, describeStorageAdapterContract } from '@monorepo/test-utils';
import { parseBackendSpec, syncStorage } from '@monorepo/storage-cli';

const config: StorageConfig = { type: 'local', baseUrl: 'http://x', localBasePath: '/tmp/consumer' };
const storage: StorageAdapter = StorageFactory.createAdapter(config);
const s3 = new S3StorageAdapter({ type: 's3', s3: { bucket: 'b', region: 'us-east-1' } }, { client: new MockS3Client() });
const processor = new ImageProcessor(storage, new PrometheusMonitoring());
const job: ImageJobData = imageJobDataSchema.parse({ id: 'j', userId: 'u', tool: ImageTool.SORA, sourceKey: 'k', submittedAt: new Date().toISOString() });
const result: Promise<ProcessResult> | undefined = undefined;
const local: LocalStorageAdapter = new LocalStorageAdapter(config);
export const used = [validateKey('a/b'), StorageError, loadStorageConfig, processor, job, result, local, s3, createLogger, describeStorageAdapterContract, parseBackendSpec, syncStorage];
`;

// A 64×48 PNG, so the image example needs no network and no image library of the consumer's own.
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetIAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAfUlEQVR4nO2SAQkAURSD1slw63QpL4Y8/sAAOha+nia6AQuoviK7UO8S3YAFVF+RXah3iW7AAqqvyC7Uu0Q3YAHVV2QX6l2iG7CA6iuyC/Uu0Q1YQPUV2YV6l+gGLKD6iuxCvUt0AxZQfUV2od4lugELqL4iu1DvEt2AxwN+WoTw4rRJu7QAAAAASUVORK5CYII=';

/**
 * The design document's usage examples, as a consuming team writes them against the published packages (the
 * seed's `'./storage'` imports become the package names; its storage root is the command-line argument).
 * Each file is type-checked with `tsc`; `basic-usage` and `image-processing` are run.
 */
export const SEED_EXAMPLES: Record<string, string> = {
  'basic-usage.ts': `
import { StorageFactory } from '@monorepo/storage';

const storage = StorageFactory.createAdapter({
  type: 'local',
  baseUrl: 'http://localhost/static',
  localBasePath: process.argv[2]!,
});

// Upload
const buffer = Buffer.from('Hello, World!');
const url = await storage.upload('test/file.txt', buffer, 'text/plain');
console.log('Uploaded to:', url);

// Download
const downloaded = await storage.download('test/file.txt');
console.log('Downloaded:', downloaded.toString());

// Check existence
const exists = await storage.exists('test/file.txt');
console.log('Exists:', exists);

// Delete
await storage.delete('test/file.txt');
`,
  'image-processing.ts': `
import { ImageProcessor, ImageTool } from '@monorepo/image-processor';
import { StorageFactory, noopMonitoring, type StorageConfig } from '@monorepo/storage';

const storageConfig: StorageConfig = {
  type: 'local',
  baseUrl: 'http://localhost/static',
  localBasePath: process.argv[2]!,
};
const monitoring = noopMonitoring;
const storage = StorageFactory.createAdapter(storageConfig);
await storage.upload('uploads/user-123/source.png', Buffer.from('${PNG}', 'base64'), 'image/png');

const processor = new ImageProcessor(storage, monitoring);

const result = await processor.processImage({
  id: 'job-123',
  tool: ImageTool.DALL_E,
  sourceKey: 'uploads/user-123/source.png',
  userId: 'user-123',
});

// Access processed images
console.log('Normal quality:', result.variants[0]!.url);
console.log('High quality:', result.variants[1]!.url);
`,
  'switch-storage.ts': `
import { StorageFactory } from '@monorepo/storage';
import { LocalStorageAdapter } from '@monorepo/storage-local';
import { S3StorageAdapter } from '@monorepo/storage-s3';

// Development - Local storage
export const devStorage = StorageFactory.createAdapter({
  type: 'local',
  baseUrl: 'http://localhost/static',
  localBasePath: '/var/www/storage',
});

// Production - S3 storage
export const prodStorage = StorageFactory.createAdapter({
  type: 's3',
  s3: {
    bucket: 'my-bucket',
    region: 'us-east-1',
    accessKeyId: process.env.S3_ACCESS_KEY_ID!,
    secretAccessKey: process.env.S3_SECRET_ACCESS_KEY!,
  },
});

export const direct = [
  new LocalStorageAdapter({ type: 'local', baseUrl: 'http://test/static', localBasePath: '/tmp/x' }),
  new S3StorageAdapter({ type: 's3', s3: { bucket: 'test-bucket', region: 'us-east-1' } }),
];
`,
  'error-handling.ts': `
import type { StorageAdapter } from '@monorepo/storage';

export async function store(storage: StorageAdapter, key: string, buffer: Buffer, contentType: string) {
  try {
    await storage.upload(key, buffer, contentType);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      // File not found
    } else if ((error as { code?: string }).code === 'EACCES') {
      // Permission denied
    } else {
      // Other errors
      throw error;
    }
  }
}
`,
};
