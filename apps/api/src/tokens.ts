/** Dependency-injection tokens (explicit, so no reflection metadata is needed). */
export const STORAGE = Symbol('storage');
export const QUEUE = Symbol('queue');
export const CONFIG = Symbol('config');
export const LOGGER = Symbol('logger');
export const MONITORING = Symbol('monitoring');
export const LIMITS = Symbol('limits');
export const CDN_URLS = Symbol('cdn-urls');
export const JOB_WAITERS = Symbol('job-waiters');
export const WEBHOOKS = Symbol('webhooks');
