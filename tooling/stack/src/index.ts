export { ManagedProcess, waitForHttp } from './managed-process.js';
export { renderNginxConfig } from './render-nginx-config.js';
export type { NginxRenderOptions, StaticOrigin } from './render-nginx-config.js';
export { repoRoot } from './repo-root.js';
export { startStack } from './stack.js';
export type { Stack, StackOptions } from './stack.js';
export { DOCKER_NGINX_FILES, renderDockerNginxConfigs } from './docker-nginx-configs.js';
