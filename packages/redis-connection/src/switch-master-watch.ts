import { Redis } from 'ioredis';
import type { RedisAddress } from './redis-config.js';

/**
 * Listens to every sentinel's `+switch-master` announcements; when the master named `name` moves, each watched
 * client that is connected reconnects, asking the sentinels where the master is now. This covers a master that
 * is still up but no longer the master (demoted, or cut off from the others), whose connections Redis may
 * not close. It stands in for ioredis's `failoverDetector`, which also disconnects a client that is already
 * reconnecting after losing its master: that client then ends for good, every command failing with
 * "Connection is closed." (redis/ioredis#1683; seen here with a master killed while the sentinels promoted a
 * replica). A client not connected at that moment is left alone: it asks the sentinels anyway.
 */
export class SwitchMasterWatch {
  readonly #subscribers: Redis[];
  readonly #clients = new Set<Redis>();

  constructor(
    sentinels: RedisAddress[],
    name: string,
    auth: { username?: string; password?: string; tls: boolean },
  ) {
    this.#subscribers = sentinels.map((address) => {
      const subscriber = new Redis({
        host: address.host,
        port: address.port,
        ...(auth.username ? { username: auth.username } : {}),
        ...(auth.password ? { password: auth.password } : {}),
        ...(auth.tls ? { tls: {} } : {}),
        maxRetriesPerRequest: null,
        retryStrategy: (times) => Math.min(times * 200, 2000),
      });
      // A sentinel that is down is retried; the others still speak meanwhile.
      subscriber.on('error', () => {});
      subscriber.subscribe('+switch-master').catch(() => {});
      subscriber.on('message', (_channel: string, message: string) => {
        if (message.split(' ')[0] !== name) return;
        for (const client of this.#clients) if (client.status === 'ready') client.disconnect(true);
      });
      return subscriber;
    });
  }

  /** Reconnects `client` at each switch of the master while it is open. */
  watch(client: Redis): void {
    this.#clients.add(client);
    client.once('end', () => this.#clients.delete(client));
  }

  /** Stops listening. */
  close(): void {
    this.#clients.clear();
    for (const subscriber of this.#subscribers) subscriber.disconnect();
  }
}
