import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { API_ENV_VARS } from '@monorepo/api/config';
import { STORAGE_ENV_VARS } from '@monorepo/storage';
import { IMAGING_ENV_VARS } from '@monorepo/imaging/config';
import { WORKER_ENV_VARS } from '@monorepo/worker/config';
import { describe, expect, it } from 'vitest';
import { DOCKER_NGINX_FILES, renderDockerNginxConfigs } from './docker-nginx-configs.js';
import { renderSigningInclude } from './render-nginx-config.js';
import { repoRoot } from './repo-root.js';

const run = promisify(execFile);
const root = repoRoot();
const dockerDir = path.join(root, 'docker');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const COMPOSE = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) =>
  existsSync(p),
);

describe('deployment configuration (validated statically: no Docker engine here)', () => {
  it('lists every variable the api, worker and imaging read in docker/.env.example', () => {
    const example = readFileSync(path.join(dockerDir, '.env.example'), 'utf8');
    const listed = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const needed = [
      ...new Set([...API_ENV_VARS, ...WORKER_ENV_VARS, ...IMAGING_ENV_VARS, ...STORAGE_ENV_VARS]),
    ];
    expect(needed.filter((name) => !listed.has(name))).toEqual([]);
    expect(needed.length).toBeGreaterThan(20);
  });

  it('builds every service image on the Node line of .nvmrc (Node 24 LTS), as make runs them', () => {
    const major = readFileSync(path.join(root, '.nvmrc'), 'utf8').trim().split('.')[0];
    const dockerfiles = readdirSync(dockerDir).filter((f) => f.endsWith('.Dockerfile'));
    expect(dockerfiles.sort()).toEqual([
      'api.Dockerfile',
      'imaging.Dockerfile',
      'worker.Dockerfile',
    ]);
    for (const file of dockerfiles) {
      const bases = [...readFileSync(path.join(dockerDir, file), 'utf8').matchAll(/^FROM (\S+)/gm)];
      expect(
        bases.map((m) => m[1]),
        file,
      ).toEqual([`node:${major}-bookworm-slim`, `node:${major}-bookworm-slim`]);
    }
    expect(major).toBe('24');
  });

  it('keeps the committed compose nginx configs in step with the template', () => {
    const rendered = renderDockerNginxConfigs();
    for (const [name, file] of Object.entries(DOCKER_NGINX_FILES)) {
      const committed = readFileSync(path.join(root, file), 'utf8').split('\n').slice(1).join('\n');
      expect(committed, `${file} is stale: run make nginx-configs`).toBe(
        rendered[name as keyof typeof rendered],
      );
    }
  });

  it('passes nginx -t for both compose configs', async () => {
    expect(NGINX, 'nginx must be installed (make setup)').toBeDefined();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nginx-t-'));
    try {
      for (const file of Object.values(DOCKER_NGINX_FILES)) {
        // Container host names and paths do not exist here: point them at this machine, keep everything else.
        const conf = readFileSync(path.join(root, file), 'utf8')
          .replaceAll('api:3000', '127.0.0.1:3000')
          .replaceAll('imaging:3002', '127.0.0.1:3002')
          .replaceAll('minio:9000', '127.0.0.1:9000')
          .replaceAll('/var/cache/nginx', dir)
          .replaceAll('/dev/stderr', path.join(dir, 'error.log'))
          .replaceAll('/dev/stdout', path.join(dir, 'access.log'))
          .replaceAll('/etc/nginx/cdn-signing.conf', path.join(dir, 'cdn-signing.conf'))
          .replace('user nginx;', '');
        await writeFile(
          path.join(dir, 'cdn-signing.conf'),
          renderSigningInclude([{ id: 'k1', secret: 's'.repeat(40) }]),
        );
        const target = path.join(dir, path.basename(file));
        await writeFile(target, conf);
        const result = await run(NGINX!, [
          '-t',
          '-q',
          '-c',
          target,
          '-p',
          dir,
          '-e',
          path.join(dir, 'error.log'),
        ]).then(
          () => 'ok',
          (error: { stderr?: string }) => error.stderr ?? String(error),
        );
        expect(result, file).toBe('ok');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes docker-compose config for the local and the s3 stacks, with fixed volume names', async () => {
    expect(COMPOSE, 'docker-compose must be installed (make setup)').toBeDefined();
    const base = [
      '--env-file',
      path.join(dockerDir, '.env.example'),
      '-f',
      path.join(dockerDir, 'docker-compose.yml'),
    ];
    const env = {
      ...process.env,
      AWS_CA_BUNDLE: '',
      API_KEYS: `${'k'.repeat(8)}-0123456789abcdef-xyz:u1`,
      CDN_SIGNING_KEYS: `k1:${'s'.repeat(40)}`,
      IMAGING_KEYS: `u1:${'0123456789abcdef'.repeat(4)}:${'fedcba9876543210'.repeat(2)}`,
    };
    const local = await run(COMPOSE!, [...base, 'config'], { env });
    // The default stack is nginx, redis, api and worker on local volumes; MinIO comes with the s3 override.
    expect(local.stdout).not.toContain('minio');
    expect(local.stdout).toContain('/var/www/storage/processed');
    expect(local.stdout).toContain('rendered/local.conf');
    // nginx and the API share the signing keys; nginx writes its key map at start.
    expect(local.stdout).toContain('40-cdn-signing.sh');
    for (const volume of ['uploads', 'generated', 'processed', 'derived', 'incoming'])
      expect(local.stdout).toContain(`name: monorepo_storage_${volume}`);
    expect(local.stdout).toContain(
      'STORAGE_LOCAL_FOLDERS: uploads,generated,processed,derived,incoming',
    );
    // The imaging service is built from its own Dockerfile and reached by nginx at imaging:3002.
    expect(local.stdout).toContain('imaging.Dockerfile');
    expect(local.stdout).toMatch(/IMAGING_ACCEL_REDIRECT: \/__imaging/);
    expect(local.stdout).toMatch(/STORAGE_LOCAL_REQUIRE_MOUNTS: "true"/);
    const s3Files = [
      ...base,
      '-f',
      path.join(dockerDir, 'docker-compose.s3.yml'),
      '--profile',
      's3',
    ];
    const secrets = {
      MINIO_ROOT_USER: 'root-user',
      MINIO_ROOT_PASSWORD: 'root-password-123',
      S3_ACCESS_KEY_ID: 'storage-app',
      S3_SECRET_ACCESS_KEY: 'app-secret-123456',
    };
    const s3 = await run(COMPOSE!, [...s3Files, 'config'], { env: { ...env, ...secrets } });
    expect(s3.stdout).toContain('minio-init');
    expect(s3.stdout).toContain('./nginx/rendered/s3.conf'.replace('./', '')); // nginx proxies the bucket
    expect(s3.stdout).toMatch(/STORAGE_TYPE: s3/);
    expect(s3.stdout).toContain('- 127.0.0.1:9001:9001/tcp'); // console on loopback only
    expect(s3.stdout).not.toMatch(/- 9000|published: 9000/); // the S3 API is not published either
    // api and worker run as the app user, never as MinIO's root.
    const app = s3.stdout.slice(s3.stdout.indexOf('\n  api:'), s3.stdout.indexOf('\n  minio:'));
    expect(app).toContain('S3_ACCESS_KEY_ID: storage-app');
    expect(app).not.toContain('root-user');
    expect(app).not.toContain('root-password-123');
    const scaled = await run(COMPOSE!, [...base, 'config'], { env });
    expect(scaled.stdout).not.toContain('container_name'); // workers can be scaled with --scale worker=N
  });

  it('passes docker-compose config for the high-availability profile: Sentinel, two APIs, three workers', async () => {
    expect(COMPOSE, 'docker-compose must be installed (make setup)').toBeDefined();
    const { stdout } = await run(
      COMPOSE!,
      [
        '--env-file',
        path.join(dockerDir, '.env.example'),
        '-f',
        path.join(dockerDir, 'docker-compose.yml'),
        '-f',
        path.join(dockerDir, 'docker-compose.ha.yml'),
        '--profile',
        'ha',
        'config',
      ],
      {
        env: {
          ...process.env,
          AWS_CA_BUNDLE: '',
          API_KEYS: `${'k'.repeat(8)}-0123456789abcdef-xyz:u1`,
          CDN_SIGNING_KEYS: `k1:${'s'.repeat(40)}`,
          IMAGING_KEYS: `u1:${'0123456789abcdef'.repeat(4)}:${'fedcba9876543210'.repeat(2)}`,
        },
      },
    );
    for (const name of [
      'redis-replica-1',
      'redis-replica-2',
      'redis-sentinel-1',
      'redis-sentinel-3',
    ])
      expect(stdout).toContain(`\n  ${name}:`);
    // One service's block of the rendered configuration.
    const app = (name: string) =>
      stdout.slice(stdout.indexOf(`\n  ${name}:`) + 1).split(/\n {2}\S/)[0]!;
    for (const name of ['api', 'worker', 'imaging']) {
      expect(app(name)).toContain('REDIS_SENTINELS: redis-sentinel-1:26379');
      expect(app(name)).toContain("REDIS_URL: ''");
    }
    expect(app('api')).toMatch(/replicas: 2/);
    expect(app('worker')).toMatch(/replicas: 3/);
    // The master and its replicas refuse writes no replica would keep.
    expect(app('redis')).toContain('min-replicas-to-write');
    expect(stdout).toContain('sentinel monitor storage redis 6379 2');
  });

  it('has no default credentials: each missing secret stops compose with a message naming it', async () => {
    const env = { ...process.env, AWS_CA_BUNDLE: '' };
    const files = [
      '--env-file',
      path.join(dockerDir, '.env.example'),
      '-f',
      path.join(dockerDir, 'docker-compose.yml'),
    ];
    const missing = (extra: NodeJS.ProcessEnv, args: string[]) =>
      run(COMPOSE!, [...args, 'config'], { env: { ...env, ...extra } }).then(
        () => 'accepted',
        (error: { stderr?: string }) => error.stderr ?? '',
      );
    const signing = {
      CDN_SIGNING_KEYS: `k1:${'s'.repeat(40)}`,
      IMAGING_KEYS: `u:${'0123456789abcdef'.repeat(4)}:${'fedcba9876543210'.repeat(2)}`,
    };
    expect(await missing(signing, files)).toMatch(/API_KEYS.*make api-key/);
    expect(
      await missing({ API_KEYS: 'x'.repeat(40) + ':u', IMAGING_KEYS: signing.IMAGING_KEYS }, files),
    ).toMatch(/CDN_SIGNING_KEYS.*make cdn-key/);
    expect(
      await missing(
        { API_KEYS: 'x'.repeat(40) + ':u', CDN_SIGNING_KEYS: signing.CDN_SIGNING_KEYS },
        files,
      ),
    ).toMatch(/IMAGING_KEYS.*make imaging-key/);
    const s3 = [...files, '-f', path.join(dockerDir, 'docker-compose.s3.yml'), '--profile', 's3'];
    const key = { API_KEYS: 'x'.repeat(40) + ':u', ...signing };
    expect(await missing(key, s3)).toMatch(/MINIO_ROOT_USER/);
    expect(
      await missing({ ...key, MINIO_ROOT_USER: 'r', MINIO_ROOT_PASSWORD: 'rootpass1' }, s3),
    ).toMatch(/S3_ACCESS_KEY_ID/);
    const everything = readdirSync(dockerDir, { recursive: true, encoding: 'utf8' })
      .filter((file) => !file.startsWith('nginx/rendered'))
      .map((file) => path.join(dockerDir, file))
      .filter((file) => statSync(file).isFile())
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    expect(everything).not.toMatch(/minioadmin|change-me/i);
    expect(readFileSync(path.join(dockerDir, '.env.example'), 'utf8')).toMatch(/^API_KEYS=$/m);
    expect(readFileSync(path.join(dockerDir, '.env.example'), 'utf8')).toMatch(
      /^CDN_SIGNING_KEYS=$/m,
    );
    expect(readFileSync(path.join(dockerDir, '.env.example'), 'utf8')).toMatch(/^IMAGING_KEYS=$/m);
  });

  it('gives the services a MinIO user limited to the bucket, and makes only public objects anonymously readable', async () => {
    const policy = JSON.parse(
      readFileSync(path.join(dockerDir, 'minio', 'app-policy.json'), 'utf8'),
    ) as {
      Statement: Array<{ Effect: string; Action: string[]; Resource: string[] }>;
    };
    const resources = policy.Statement.flatMap((statement) => statement.Resource);
    expect(resources.sort()).toEqual(['arn:aws:s3:::${S3_BUCKET}', 'arn:aws:s3:::${S3_BUCKET}/*']);
    const actions = policy.Statement.flatMap((statement) => statement.Action);
    expect(actions.filter((action) => !/^s3:(Get|Put|Delete|List|Abort)/.test(action))).toEqual([]);
    expect(actions).not.toContain('s3:*');
    const script = readFileSync(path.join(dockerDir, 'minio', 'init.sh'), 'utf8');
    await run('sh', ['-n', path.join(dockerDir, 'minio', 'init.sh')]);
    expect(script).toMatch(
      /^mc anonymous set-json \/tmp\/bucket-policy\.json "local\/\$S3_BUCKET"$/m,
    );
    // The same policy as `storage init`: anyone may read objects tagged public, nothing else, never list.
    const bucket = JSON.parse(
      readFileSync(path.join(dockerDir, 'minio', 'bucket-policy.json'), 'utf8'),
    ) as {
      Statement: Array<{
        Effect: string;
        Action: string[];
        Resource: string[];
        Condition?: Record<string, Record<string, string>>;
      }>;
    };
    const rules = bucket.Statement.map(
      (st) =>
        `${st.Effect} ${st.Action.join()} ${st.Resource.join()} ${JSON.stringify(st.Condition ?? {})}`,
    );
    expect(rules).toEqual([
      'Allow s3:GetObject arn:aws:s3:::${S3_BUCKET}/* {"StringEquals":{"s3:ExistingObjectTag/visibility":"public"}}',
    ]);
    expect(script).toMatch(/mc admin user add local "\$S3_ACCESS_KEY_ID"/);
    expect(script).toMatch(/mc admin policy attach local storage-app --user "\$S3_ACCESS_KEY_ID"/);
  });
});
