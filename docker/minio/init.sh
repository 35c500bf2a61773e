#!/bin/sh
# One-shot MinIO setup, run by the minio-init service with the root credentials:
# - the bucket;
# - a least-privilege user for api and worker (S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY) whose policy covers
#   only this bucket (docker/minio/app-policy.json);
# - anonymous read for processed/ and generated/ only (what the CDN serves); uploads/ and the rest stay private.
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
mc anonymous set none "local/$S3_BUCKET"
mc anonymous set download "local/$S3_BUCKET/processed"
mc anonymous set download "local/$S3_BUCKET/generated"
echo "bucket $S3_BUCKET ready: app user $S3_ACCESS_KEY_ID, public read on processed/ and generated/ only"
