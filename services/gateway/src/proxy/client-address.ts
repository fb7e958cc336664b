import type { IncomingMessage } from 'node:http';

/**
 * The client's address as far as it can be trusted. With `trustedHops` = 0 that is the socket's
 * peer. Behind N proxies we run (load balancers that append to X-Forwarded-For), it is the
 * address N entries from the right of [...X-Forwarded-For, peer]: entries further left were
 * written by the client and prove nothing, so a client cannot pick its own rate-limit bucket.
 */
export function clientAddress(req: IncomingMessage, trustedHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0 && entry.length <= 100);
  const chain = [...forwarded, peer];
  return chain[Math.max(0, chain.length - 1 - trustedHops)];
}
