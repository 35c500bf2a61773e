import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLIENT_TYPES_FILE, renderClientTypes } from './client-types.js';

// `pnpm --filter @monorepo/api generate:client-types`: rewrites api-client's generated types from the document.
await mkdir(path.dirname(CLIENT_TYPES_FILE), { recursive: true });
await writeFile(CLIENT_TYPES_FILE, await renderClientTypes());
console.log(`wrote ${CLIENT_TYPES_FILE}`);
