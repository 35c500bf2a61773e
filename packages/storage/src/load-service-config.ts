import { ConfigError } from '@monorepo/storage-core';
import type { z } from 'zod';
import { loadStorageConfig } from './load-storage-config.js';
import type { StorageConfig } from './storage-config.js';

/**
 * Reads a service's own variables with `schema` and the storage variables
 * with {@link loadStorageConfig}; empty variables count as unset.
 *
 * @throws {ConfigError} listing every problem of both, by variable name (values never echoed).
 */
export function loadServiceConfig<Schema extends z.ZodType>(
  service: string,
  schema: Schema,
  env: NodeJS.ProcessEnv = process.env,
): z.output<Schema> & { storage: StorageConfig } {
  const issues: string[] = [];
  const parsed = schema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')),
  );
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      issues.push(`${String(issue.path[0] ?? 'environment')}: ${issue.message}`);
  }
  let storage: StorageConfig | undefined;
  try {
    storage = loadStorageConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  if (!parsed.success || !storage || issues.length) {
    throw new ConfigError(`Invalid ${service} configuration: ${issues.join('; ')}`, issues);
  }
  return { ...(parsed.data as object), storage } as z.output<Schema> & { storage: StorageConfig };
}
