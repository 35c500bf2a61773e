/** Values for {@link renderS3BalancerConfig}. */
export interface S3BalancerRenderOptions {
  /** Where the balancer listens (`127.0.0.1:<port>`, or `<port>` for every address). */
  listen: string;
  /** `host:port` of each S3 gateway (radosgw) behind it. */
  gateways: readonly string[];
  /** Directory for the pid file and temp files. */
  runtimeDir: string;
  errorLog: string;
  accessLog: string;
  /** `user nobody nogroup;` and the like; empty keeps nginx's default. */
  userDirective?: string;
}

/**
 * An nginx configuration that puts several S3 gateways behind one endpoint, as a load balancer does in
 * production. The Host header passes through unchanged: a presigned URL is signed for the host the client uses,
 * which is this balancer's, and every gateway checks it against that. A gateway that refuses connections or times
 * out is skipped for `fail_timeout`; a request is tried on the next gateway only when nginx may do so safely:
 * nginx never retries a POST (CreateMultipartUpload, CompleteMultipartUpload, form uploads) by itself, and a body
 * that is streamed (not buffered here) is retried only if none of it was sent yet. Everything else fails back to
 * the client, whose S3 SDK retries as it does against any S3 endpoint. Bodies are streamed both ways, never held.
 */
export function renderS3BalancerConfig(options: S3BalancerRenderOptions): string {
  if (options.gateways.length === 0) throw new Error('the S3 balancer needs at least one gateway');
  return `# Written by @monorepo/stack: one S3 endpoint in front of ${options.gateways.length} gateway(s).
${options.userDirective ?? ''}
worker_processes 1;
pid ${options.runtimeDir}/s3-balancer.pid;
error_log ${options.errorLog} warn;

events {
  worker_connections 1024;
}

http {
  access_log ${options.accessLog};
  client_body_temp_path ${options.runtimeDir}/s3-balancer-body;
  proxy_temp_path ${options.runtimeDir}/s3-balancer-proxy;
  fastcgi_temp_path ${options.runtimeDir}/s3-balancer-fastcgi;
  uwsgi_temp_path ${options.runtimeDir}/s3-balancer-uwsgi;
  scgi_temp_path ${options.runtimeDir}/s3-balancer-scgi;

  upstream s3_gateways {
    ${options.gateways.map((gateway) => `server ${gateway} max_fails=1 fail_timeout=5s;`).join('\n    ')}
    keepalive 64;
  }

  server {
    listen ${options.listen};
    # S3 itself limits a single PUT (5 GiB); multipart parts are streamed through.
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_max_temp_file_size 0;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    # SigV4 signs the Host: the gateways must see the one the client signed for.
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_connect_timeout 2s;
    proxy_send_timeout 300s;
    proxy_read_timeout 300s;
    # Idempotent requests only (nginx's rule: never POST, LOCK, PATCH without non_idempotent), and a streamed
    # body only before any of it was sent.
    proxy_next_upstream error timeout http_502 http_503 http_504;
    proxy_next_upstream_tries 2;
    proxy_next_upstream_timeout 10s;

    location = /s3-balancer-health {
      access_log off;
      return 200 "ok\\n";
    }

    location / {
      proxy_pass http://s3_gateways;
    }
  }
}
`;
}
