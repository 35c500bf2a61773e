// Regenerates docker/nginx/rendered/*.conf from the template: `pnpm --filter @monorepo/stack render:docker-nginx`.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DOCKER_NGINX_FILES, renderDockerNginxConfigs } from './docker-nginx-configs.js';
import { repoRoot } from './repo-root.js';

const rendered = renderDockerNginxConfigs(process.env.S3_BUCKET || 'storage');
for (const [name, file] of Object.entries(DOCKER_NGINX_FILES)) {
  const target = path.join(repoRoot(), file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(
    target,
    `# Generated from docker/nginx/nginx.conf.template — do not edit; run make nginx-configs.\n${rendered[name as keyof typeof rendered]}`,
  );
  console.log(`wrote ${file}`);
}
