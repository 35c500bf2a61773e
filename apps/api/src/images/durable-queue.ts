import type { RedisClient, RedisConnections } from '@monorepo/redis-connection';
import { Queue } from 'bullmq';
import type { Job, JobsOptions, QueueOptions } from 'bullmq';

/**
 * A BullMQ queue whose `add` resolves only once the job reached the replicas Redis is configured to wait for
 * (`WAIT`, under Sentinel): a job id the API answers with 202 survives a failover of the master. When the replica
 * does not confirm in time, `add` throws (the API answers 503; a retry with the same Idempotency-Key finds or
 * re-adds the same job id).
 */
export class DurableQueue extends Queue {
  readonly #redis: RedisConnections;

  constructor(name: string, redis: RedisConnections, options: QueueOptions) {
    super(name, options);
    this.#redis = redis;
  }

  override async add(name: string, data: unknown, opts?: JobsOptions): Promise<Job> {
    const job = await super.add(name, data, opts);
    // The connection the add went through (the one given as `connection`): WAIT covers its writes.
    await this.#redis.replicated((await this.client) as unknown as RedisClient);
    return job;
  }
}
