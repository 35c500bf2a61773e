import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderS3BalancerConfig } from './render-s3-balancer-config.js';

const run = promisify(execFile);
const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) =>
  existsSync(p),
);

describe('the S3 balancer configuration', () => {
  const render = (dir: string) =>
    renderS3BalancerConfig({
      listen: '127.0.0.1:9999',
      gateways: ['127.0.0.1:7480', '127.0.0.1:7481'],
      runtimeDir: dir,
      errorLog: path.join(dir, 'error.log'),
      accessLog: path.join(dir, 'access.log'),
    });

  it('passes the signed Host through, retries only what nginx may resend, and streams bodies', () => {
    const conf = render('/tmp/x');
    expect(conf).toContain('server 127.0.0.1:7480 max_fails=1 fail_timeout=5s;');
    expect(conf).toContain('server 127.0.0.1:7481 max_fails=1 fail_timeout=5s;');
    expect(conf).toContain('proxy_set_header Host $http_host;');
    expect(conf).toMatch(/proxy_next_upstream error timeout/);
    expect(conf).not.toMatch(/proxy_next_upstream [^;]*non_idempotent/);
    expect(conf).toContain('proxy_request_buffering off;');
    expect(conf).toContain('proxy_buffering off;');
    expect(conf).toContain('client_max_body_size 0;');
    expect(() =>
      renderS3BalancerConfig({
        ...{ listen: '1', runtimeDir: '/', errorLog: '', accessLog: '' },
        gateways: [],
      }),
    ).toThrow();
  });

  it.skipIf(!NGINX)('is a configuration nginx accepts', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 's3-balancer-'));
    try {
      const conf = path.join(dir, 'nginx.conf');
      await writeFile(conf, render(dir));
      await run(NGINX!, ['-t', '-c', conf, '-p', dir, '-e', path.join(dir, 'error.log')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
