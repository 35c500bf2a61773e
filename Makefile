# Storage platform — top-level operations. `make help` lists targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PNPM_VERSION := 12.4.2
# Every target runs on the Node in .nvmrc (Node 24 LTS): when the machine's node is another line, `make setup` puts
# a verified copy from the npm registry under .cache/node/<version>/ (tooling/scripts/node-runtime.sh), and it comes
# first on PATH here, so pnpm, turbo, the build, the tests and `make start` all run on it. `make test` also runs the
# published packages' unit tests on the oldest line they support (Node 22: tooling/scripts/test-oldest-node.sh).
NODE_VERSION := $(shell cat .nvmrc)
export PATH := $(CURDIR)/.cache/node/$(NODE_VERSION)/bin:$(PATH)
export TURBO_TELEMETRY_DISABLED := 1
export DO_NOT_TRACK := 1
# The S3 client never asks EC2 instance metadata for credentials by accident (a missing credential is then a
# clear configuration error, exit 2); AWS_EC2_METADATA_DISABLED=false opts in to the SDK's default chain.
export AWS_EC2_METADATA_DISABLED ?= true
TURBO := pnpm exec turbo

.PHONY: help
help: ## List targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-26s\033[0m %s\n", $$1, $$2}'

.PHONY: setup
setup: ## Install system packages (as root on Debian), pnpm and dependencies
	@bash tooling/scripts/setup.sh $(PNPM_VERSION)
	@echo "Node $$(pnpm exec node -v) ($$(command -v node))"

.PHONY: build
build: setup ## Build every package
	$(TURBO) run build

.PHONY: test
# After the build, two lanes at once against one radosgw shared by the run (tooling/scripts/test-lanes.sh): the stack's
# suites, and beside them lint, typecheck, the release test, the Node 22 unit tests, then every other package's suites.
test: setup ## Install, build, lint, typecheck and run every test (starts the services tests need)
	$(TURBO) run build
	rm -f {packages,apps,tooling}/*/test-results.json {packages,apps,tooling}/*/test-timings.json
	bash tooling/scripts/test-lanes.sh || { node tooling/scripts/test-summary.mjs; exit 1; }
	node tooling/scripts/test-summary.mjs

.PHONY: test-reliability
test-reliability: setup ## Only the fault, load, hostile-input, abuse and hostile-tenant suites (also part of make test)
	$(TURBO) run build
	cd packages/storage-local && pnpm exec vitest run src/local-storage-disk.test.ts src/local-storage-crash.test.ts
	cd packages/storage-s3 && pnpm exec vitest run src/s3-faults.test.ts src/s3-resilience.test.ts
	cd packages/storage && pnpm exec vitest run src/key-parity.property.test.ts
	cd tooling/stack && pnpm exec vitest run src/reliability.test.ts src/hostile-input.test.ts src/abuse.test.ts src/fairness.test.ts src/abuse-s3.test.ts src/tenancy.test.ts src/tenancy-s3.test.ts src/gateway-routes.test.ts

.PHONY: test-chaos
test-chaos: setup ## Lose any one process: Redis Cluster end to end; kill -9 of Redis masters, an API, a worker and a radosgw gateway under load (full form)
	$(TURBO) run build
	cd packages/dev-servers && pnpm exec vitest run src/redis-ha-servers.test.ts src/rgw-gateways.test.ts
	cd packages/redis-connection && pnpm exec vitest run
	cd tooling/stack && CHAOS_FULL=1 pnpm exec vitest run src/redis-ha.test.ts src/chaos.test.ts

.PHONY: test-release
test-release: setup ## The release flow for real: changesets version + publish to a private registry, npm/pnpm consumers
	$(TURBO) run build
	cd tooling/release && pnpm exec vitest run

.PHONY: bench
bench: setup ## Run the benchmarks (QUICK=1 for the two-minute version); writes docs/performance.md
	@# The tools the bench compares with or loads through (skipped with a note where they cannot be installed).
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! (command -v rclone && command -v wrk && [ -x /usr/bin/aws ]) >/dev/null; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rclone wrk awscli >/dev/null || true; fi
	$(TURBO) run build --filter=@monorepo/bench...
	node --expose-gc tooling/bench/dist/bench.js $(if $(QUICK),--quick)

.PHONY: test-s3
test-s3: setup ## Run the S3 contract suite against S3_ENDPOINT (e.g. MinIO): make test-s3 S3_ENDPOINT=http://localhost:9000
	$(TURBO) run build --filter=@monorepo/storage-s3...
	cd packages/storage-s3 && pnpm exec vitest run src/s3-storage-adapter.http.test.ts src/s3-interop.test.ts src/s3-resilience.test.ts src/s3-memory.test.ts

.PHONY: start
start: setup ## Run the whole system natively: Redis, nginx (CDN), API, worker, imaging. Ctrl-C stops it.
	$(TURBO) run build --filter=@monorepo/stack... --filter=@monorepo/api... --filter=@monorepo/worker... --filter=@monorepo/imaging...
	node tooling/stack/dist/start-cli.js

.PHONY: demo
demo: setup ## Upload a sample image, run a job, print the variant URLs (uses a running `make start`, else starts one)
	$(TURBO) run build --filter=@monorepo/stack... --filter=@monorepo/api... --filter=@monorepo/worker... --filter=@monorepo/imaging...
	node tooling/stack/dist/demo-cli.js

# --- Storage operations (any backend: env, env:PREFIX_, local:/path, s3://bucket/prefix) -------------------
# STORAGE=env (the default) is the running stack's storage: `make start` writes its configuration to
# .data/storage.env, which tooling/scripts/storage.mjs loads (variables set in the environment win).
STORAGE_CLI := node tooling/scripts/storage.mjs
STORAGE ?= env
LOCAL_PATH ?= $(or $(STORAGE_LOCAL_PATH),./.data/storage)
S3_TARGET ?= s3://$(or $(S3_BUCKET),storage)
BACKUP_FILE ?= backups/storage-$(shell date +%Y%m%d-%H%M%S).tar.gz
OLDER_THAN ?= 30d
PREFIX ?=
DRY_RUN ?=
cli-build: setup
	@$(TURBO) run build --filter=@monorepo/storage-cli... > /dev/null

.PHONY: storage-init storage-backup storage-restore storage-clean storage-usage storage-migrate-to-s3 storage-migrate-to-local
storage-init: cli-build ## Create uploads/generated/processed (local) or the bucket (s3): make storage-init STORAGE=local:/var/www/storage
	$(STORAGE_CLI) init --storage $(STORAGE)

storage-backup: cli-build ## Stream a .tar.gz backup: make storage-backup [STORAGE=…] [BACKUP_FILE=…] [PREFIX=processed/]
	@mkdir -p $(dir $(BACKUP_FILE))
	$(STORAGE_CLI) backup $(BACKUP_FILE) --storage $(STORAGE) --prefix '$(PREFIX)'

storage-restore: cli-build ## Restore a backup: make storage-restore BACKUP_FILE=backups/x.tar.gz [STORAGE=…]
	$(STORAGE_CLI) restore $(BACKUP_FILE) --storage $(STORAGE)

storage-clean: cli-build ## Delete objects older than OLDER_THAN (30d): make storage-clean PREFIX=uploads/ DRY_RUN=1
	$(STORAGE_CLI) clean --older-than $(OLDER_THAN) --prefix '$(PREFIX)' --storage $(STORAGE) $(if $(DRY_RUN),--dry-run)

storage-usage: cli-build ## Objects and bytes per folder and per tool
	$(STORAGE_CLI) usage '$(PREFIX)' --storage $(STORAGE)

storage-migrate-to-s3: cli-build ## Sync local -> S3 (S3_ENDPOINT/S3_* from env): make storage-migrate-to-s3 [LOCAL_PATH=…] [S3_TARGET=s3://bucket]
	$(STORAGE_CLI) sync local:$(LOCAL_PATH) $(S3_TARGET) --prefix '$(PREFIX)' $(if $(DRY_RUN),--dry-run)

storage-migrate-to-local: cli-build ## Sync S3 -> local: make storage-migrate-to-local [S3_TARGET=…] [LOCAL_PATH=…]
	$(STORAGE_CLI) sync $(S3_TARGET) local:$(LOCAL_PATH) --prefix '$(PREFIX)' $(if $(DRY_RUN),--dry-run)

# --- Docker compose (needs a Docker engine) -----------------------------------------------------------------
COMPOSE := docker compose -p monorepo --env-file docker/.env -f docker/docker-compose.yml $(if $(filter s3,$(STORAGE_TYPE)),-f docker/docker-compose.s3.yml --profile s3)
.PHONY: up down logs nginx-configs
up: ## Start the compose stack (STORAGE_TYPE=s3 for MinIO); needs docker/.env (copy docker/.env.example)
	$(COMPOSE) up -d --build

down: ## Stop the compose stack (volumes kept)
	$(COMPOSE) down

logs: ## Follow the compose stack's logs
	$(COMPOSE) logs -f --tail=100

nginx-configs: setup ## Re-render docker/nginx/rendered/*.conf from the template
	$(TURBO) run build --filter=@monorepo/stack... > /dev/null
	pnpm --filter @monorepo/stack render:docker-nginx

.PHONY: api-key
USER_ID ?= demo-user
api-key: ## Print a fresh random API key entry for API_KEYS: make api-key USER_ID=team-a
	@node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url') + ':$(USER_ID)\n')"

.PHONY: cdn-key
cdn-key: ## Print a fresh CDN signing key entry for CDN_SIGNING_KEYS (put it first to rotate): make cdn-key KEY_ID=k2
	@node -e "process.stdout.write('$(or $(KEY_ID),k1):' + require('node:crypto').randomBytes(32).toString('base64url') + '\n')"

.PHONY: imaging-key
TEAM ?= demo-user
imaging-key: ## Print a fresh imgproxy key/salt pair for IMAGING_KEYS (put it first to rotate): make imaging-key TEAM=team-a
	@node -e "const r=require('node:crypto').randomBytes; process.stdout.write('$(TEAM):' + r(32).toString('hex') + ':' + r(16).toString('hex') + '\n')"

.PHONY: format
format: setup ## Format every file with Prettier
	pnpm exec prettier --write .

.PHONY: clean
clean: ## Remove build outputs and dependencies
	rm -rf node_modules packages/*/node_modules packages/*/dist apps/*/node_modules apps/*/dist tooling/*/node_modules .turbo packages/*/.turbo .cache
