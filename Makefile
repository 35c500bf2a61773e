# Storage platform — top-level operations. `make help` lists targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PNPM_VERSION := 12.4.2
export TURBO_TELEMETRY_DISABLED := 1
export DO_NOT_TRACK := 1
TURBO := pnpm exec turbo

.PHONY: help
help: ## List targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-26s\033[0m %s\n", $$1, $$2}'

.PHONY: setup
setup: ## Install system packages (as root on Debian), pnpm and dependencies
	@bash tooling/scripts/setup.sh $(PNPM_VERSION)

.PHONY: build
build: setup ## Build every package
	$(TURBO) run build

.PHONY: test
test: setup ## Install, build, lint, typecheck and run every test (starts the services tests need)
	$(TURBO) run build
	$(TURBO) run lint typecheck --concurrency=2
	rm -f packages/*/test-results.json apps/*/test-results.json tooling/*/test-results.json
	$(TURBO) run test --concurrency=1
	node tooling/scripts/test-summary.mjs

.PHONY: test-s3
test-s3: setup ## Run the S3 contract suite against S3_ENDPOINT (e.g. MinIO): make test-s3 S3_ENDPOINT=http://localhost:9000
	$(TURBO) run build --filter=@monorepo/storage-s3...
	cd packages/storage-s3 && pnpm exec vitest run src/s3-storage-adapter.http.test.ts src/s3-interop.test.ts src/s3-resilience.test.ts src/s3-memory.test.ts

.PHONY: start
start: setup ## Run the whole system natively: Redis, nginx (CDN), API, worker. Ctrl-C stops it.
	$(TURBO) run build --filter=@monorepo/stack... --filter=@monorepo/api... --filter=@monorepo/worker...
	node tooling/stack/dist/start-cli.js

.PHONY: demo
demo: setup ## Upload a sample image, run a job, print the variant URLs (uses a running `make start`, else starts one)
	$(TURBO) run build --filter=@monorepo/stack... --filter=@monorepo/api... --filter=@monorepo/worker...
	node tooling/stack/dist/demo-cli.js

.PHONY: format
format: setup ## Format every file with Prettier
	pnpm exec prettier --write .

.PHONY: clean
clean: ## Remove build outputs and dependencies
	rm -rf node_modules packages/*/node_modules packages/*/dist apps/*/node_modules apps/*/dist tooling/*/node_modules .turbo packages/*/.turbo
