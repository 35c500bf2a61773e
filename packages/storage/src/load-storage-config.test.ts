import { describe, expect, it } from 'vitest';
import { ConfigError } from '@monorepo/storage-core';
import { loadStorageConfig } from './load-storage-config.js';

const fail = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    loadStorageConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('loadStorageConfig', () => {
  it('reads the seed local variables', () => {
    expect(
      loadStorageConfig({
        STORAGE_TYPE: 'local',
        STORAGE_BASE_URL: 'http://localhost/static',
        STORAGE_LOCAL_PATH: '/var/www/storage',
      }),
    ).toEqual({
      type: 'local',
      baseUrl: 'http://localhost/static',
      localBasePath: '/var/www/storage',
    });
  });

  it('defaults to local storage', () => {
    expect(
      loadStorageConfig({ STORAGE_BASE_URL: 'http://x/static', STORAGE_LOCAL_PATH: '/data' }).type,
    ).toBe('local');
  });

  it('reads the seed S3 variables', () => {
    expect(
      loadStorageConfig({
        STORAGE_TYPE: 's3',
        STORAGE_BASE_URL: 'https://cdn.example.com',
        S3_ENDPOINT: 'https://s3.amazonaws.com',
        S3_REGION: 'eu-west-1',
        S3_BUCKET: 'my-bucket',
        S3_ACCESS_KEY_ID: 'xxx',
        S3_SECRET_ACCESS_KEY: 'yyy',
        S3_FORCE_PATH_STYLE: 'false',
        S3_DIRECT_REQUESTS: 'false',
      }),
    ).toEqual({
      type: 's3',
      baseUrl: 'https://cdn.example.com',
      s3: {
        bucket: 'my-bucket',
        region: 'eu-west-1',
        endpoint: 'https://s3.amazonaws.com',
        accessKeyId: 'xxx',
        secretAccessKey: 'yyy',
        forcePathStyle: false,
        directRequests: false,
      },
    });
  });

  it('lets S3 credentials come from the SDK chain when both are unset', () => {
    expect(loadStorageConfig({ STORAGE_TYPE: 's3', S3_BUCKET: 'b' })).toEqual({
      type: 's3',
      s3: { bucket: 'b', region: 'us-east-1' },
    });
  });

  it('reports every problem at once, by variable name', () => {
    const error = fail({
      STORAGE_TYPE: 's3',
      S3_ENDPOINT: 'not a url',
      S3_SECRET_ACCESS_KEY: 'hunter2-secret',
      S3_FORCE_PATH_STYLE: 'maybe',
    });
    expect(error.code).toBe('ECONFIG');
    expect(error.issues).toEqual(
      expect.arrayContaining([
        'S3_BUCKET: is required',
        expect.stringMatching(/^S3_ENDPOINT: /),
        expect.stringMatching(/^S3_ACCESS_KEY_ID: /),
        expect.stringMatching(/^S3_FORCE_PATH_STYLE: /),
      ]),
    );
    expect(error.issues).toHaveLength(4);
    expect(error.message).not.toContain('hunter2-secret');
    expect(JSON.stringify(error.issues)).not.toContain('hunter2-secret');
  });

  it('reports missing local variables', () => {
    expect(fail({ STORAGE_TYPE: 'local' }).issues).toEqual([
      'STORAGE_BASE_URL: is required',
      'STORAGE_LOCAL_PATH: is required',
    ]);
  });

  it('rejects an unknown type', () => {
    expect(fail({ STORAGE_TYPE: 'gcs' }).issues).toEqual(['STORAGE_TYPE: must be "local" or "s3"']);
  });
});
