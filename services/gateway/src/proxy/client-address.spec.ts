import type { IncomingMessage } from 'node:http';
import { clientAddress } from './client-address';

const req = (peer: string, xff?: string | string[]) =>
  ({
    socket: { remoteAddress: peer },
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
  }) as unknown as IncomingMessage;

describe('clientAddress (TRUSTED_PROXY_HOPS)', () => {
  it('is the socket peer with no trusted proxies, whatever X-Forwarded-For says', () => {
    expect(clientAddress(req('203.0.113.9', '1.2.3.4'), 0)).toBe('203.0.113.9');
  });

  it('behind one load balancer is the entry it appended, not what the client wrote', () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; the balancer appended the real address.
    expect(clientAddress(req('10.0.0.2', '6.6.6.6, 198.51.100.7'), 1)).toBe('198.51.100.7');
    expect(clientAddress(req('10.0.0.2', '198.51.100.7'), 1)).toBe('198.51.100.7');
  });

  it('counts hops from the right and never walks past the chain', () => {
    expect(clientAddress(req('10.0.0.3', '6.6.6.6, 198.51.100.7, 10.0.0.2'), 2)).toBe(
      '198.51.100.7',
    );
    expect(clientAddress(req('10.0.0.2'), 1)).toBe('10.0.0.2');
    expect(clientAddress(req('10.0.0.2', ['a', 'b']), 1)).toBe('b');
  });
});
