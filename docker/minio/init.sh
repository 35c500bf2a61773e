#!/bin/sh
# One-shot MinIO setup, run by the minio-init service with the root credentials:
# - the bucket;
# - a least-privilege user for api and worker (S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY) whose policy covers
#   only this bucket (docker/minio/app-policy.json);
# - the bucket policy of `storage init` (docker/minio/bucket-policy.json): anonymous read of objects tagged
#   visibility=public only (the adapter tags every object: job outputs public, uploads private by default).
#   The CDN fetches anonymously and passes presigned requests through for the bucket to check.
# Idempotent: safe to run on every `make up`.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${S3_BUCKET:?}" "${S3_ACCESS_KEY_ID:?}" "${S3_SECRET_ACCESS_KEY:?}"
if [ "$S3_ACCESS_KEY_ID" = "$MINIO_ROOT_USER" ]; then
  echo "S3_ACCESS_KEY_ID must not be the MinIO root user: the services get their own least-privilege user" >&2
  exit 1
fi
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "local/$S3_BUCKET"
sed "s/\${S3_BUCKET}/$S3_BUCKET/g" /init/app-policy.json > /tmp/app-policy.json
mc admin policy create local storage-app /tmp/app-policy.json
mc admin user add local "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"
mc admin policy attach local storage-app --user "$S3_ACCESS_KEY_ID" >/dev/null 2>&1 || true # attached on an earlier run
sed "s/\${S3_BUCKET}/$S3_BUCKET/g" /init/bucket-policy.json > /tmp/bucket-policy.json
mc anonymous set-json /tmp/bucket-policy.json "local/$S3_BUCKET"
echo "bucket $S3_BUCKET ready: app user $S3_ACCESS_KEY_ID, anonymous read of public objects only"
