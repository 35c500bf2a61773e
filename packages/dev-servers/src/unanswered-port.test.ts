import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startUnansweredPort } from './unanswered-port.js';

describe('startUnansweredPort', () => {
  it('gives a port whose handshake never completes, past the first SYN retransmission', async () => {
    const silent = await startUnansweredPort();
    try {
      const socket = net.connect(silent.port, '127.0.0.1');
      socket.on('error', () => {});
      const outcome = await new Promise<string>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(String(error.code)));
        setTimeout(() => resolve('pending'), 1_500); // Linux retransmits the SYN after 1 s
      });
      socket.destroy();
      expect(outcome).toBe('pending');
    } finally {
      await silent.stop();
    }
    // Stopped: the port is closed, and a connect is refused at once.
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(silent.port, '127.0.0.1');
      socket.once('connect', () => resolve('connected'));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(String(error.code)));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
