/**
 * A client of the running system through its gateway, as a user's would be: NEAR sign-in, staff
 * tokens, and calls that retry a refused or unavailable upstream (502/503/504) with the same
 * Idempotency-Key, as a well-behaved client does while a replica restarts, and wait out a 409
 * `idempotency_key_in_use` (a claim still held under that key) for as long as its Retry-After says.
 */
import { randomUUID } from 'node:crypto';
import { type KeyPair, KeyPairSigner } from 'near-api-js';
import { type Role, signDevToken } from '@lib/auth';
import { createAccount } from './near-rpc';
import { SYSTEM_JWT_SECRET, type SystemRunner } from './system';

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Expected status; any other (after retries) throws with the answer. */
  expect?: number | number[];
  /** Retries of 502/503/504 and refused connections; default 40 (about 20 s). */
  retries?: number;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { items?: Record<string, unknown>[] };
}

export interface Founder {
  accountId: string;
  keyPair: KeyPair;
  token: string;
}

const RETRYABLE = new Set([502, 503, 504]);
/** How long a call waits on a claim held under its Idempotency-Key (the lease is 60 s). */
const CLAIM_WAIT_MS = 90_000;
const claimHeld = (result: CallResult): boolean =>
  result.status === 409 && result.body.code === 'idempotency_key_in_use';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SystemClient {
  constructor(private readonly system: Pick<SystemRunner, 'gatewayUrl' | 'emulatorUrl'>) {}

  /** A call through the gateway; mutations get an Idempotency-Key unless one is given. */
  async call(
    method: string,
    path: string,
    token: string | undefined,
    options: CallOptions = {},
  ): Promise<CallResult> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'idempotency-key': randomUUID() } : {}),
      ...options.headers,
    };
    const retries = options.retries ?? 40;
    const claimDeadline = Date.now() + CLAIM_WAIT_MS;
    let last: CallResult | Error | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        const response = await fetch(`${this.system.gatewayUrl}${path}`, {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        let body: CallResult['body'] = {};
        try {
          body = text ? (JSON.parse(text) as CallResult['body']) : {};
        } catch {
          body = { raw: text };
        }
        last = { status: response.status, headers: response.headers, body };
        if (claimHeld(last) && Date.now() < claimDeadline) {
          // An earlier try with this key may still run, or failed before it could release its
          // claim: wait as told (at most the lease), then ask again. Not an upstream failure.
          const seconds = Number(response.headers.get('retry-after')) || 1;
          await sleep(Math.min(Math.max(seconds, 1), 65) * 1000);
          attempt--;
          continue;
        }
        if (!RETRYABLE.has(response.status)) break;
      } catch (error) {
        last = error as Error; // the gateway itself restarting, or a reset connection
      }
      await sleep(500);
    }
    if (last instanceof Error || last === undefined) {
      throw new Error(`${method} ${path}: ${last?.message ?? 'no answer'}`);
    }
    const expected = options.expect === undefined ? undefined : [options.expect].flat();
    if (expected && !expected.includes(last.status)) {
      throw new Error(
        `${method} ${path}: expected ${expected.join('|')}, got ${last.status} ${JSON.stringify(last.body)}`,
      );
    }
    return last;
  }

  /** A development staff token (the system's HS256 secret, default issuer and audience). */
  staffToken(sub: string, roles: Role[]): Promise<string> {
    return signDevToken({ sub, roles, ttl: '2h' }, SYSTEM_JWT_SECRET);
  }

  /** A NEP-413 signature of `challenge` by `keyPair`, in the body shape sign-in and accept take. */
  async signChallenge(
    accountId: string,
    keyPair: KeyPair,
    challenge: Record<string, unknown>,
  ): Promise<Record<string, string>> {
    const signed = await new KeyPairSigner(keyPair).signNep413Message(accountId, {
      message: String(challenge.message),
      recipient: String(challenge.recipient),
      nonce: Buffer.from(String(challenge.nonce), 'base64'),
    });
    return {
      accountId,
      publicKey: keyPair.getPublicKey().toString(),
      signature: Buffer.from(signed.signature).toString('base64'),
      nonce: String(challenge.nonce),
      message: String(challenge.message),
      recipient: String(challenge.recipient),
    };
  }

  /** A fresh funded NEAR account signed in through NEP-413 via the gateway. */
  async signInFounder(): Promise<Founder> {
    const { accountId, keyPair } = await createAccount(this.system.emulatorUrl);
    const challenge = await this.call('POST', '/v1/auth/near/challenge', undefined, {
      body: { accountId },
      expect: 200,
    });
    const verified = await this.call('POST', '/v1/auth/near/verify', undefined, {
      body: await this.signChallenge(accountId, keyPair, challenge.body),
      expect: 200,
    });
    return { accountId, keyPair, token: String(verified.body.token) };
  }

  /** An application body with one milestone per amount (decimal strings of `asset`). */
  applicationBody(payoutAccount: string, asset: string, amounts: string[]) {
    const due = (months: number) => {
      const date = new Date();
      date.setUTCMonth(date.getUTCMonth() + months);
      return date.toISOString().slice(0, 10);
    };
    const total = amounts.reduce((sum, a) => sum + Number(a), 0);
    return {
      title: `System journey ${randomUUID().slice(0, 8)}`,
      summary: 'Proofs of model execution settled on NEAR.',
      category: 'agents',
      team: [{ name: 'Ada', role: 'CEO', contact: 'ada@example.org' }],
      requestedFunding: { asset, amount: String(total) },
      payoutAccount,
      milestones: amounts.map((amount, i) => ({
        title: `Milestone ${i + 1}`,
        description: `Deliverable ${i + 1}`,
        dueDate: due(6 * (i + 1)),
        amount,
      })),
    };
  }
}

/** Polls `probe` until it returns something other than undefined (async read models). */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} not met in ${timeoutMs} ms${lastError ? `: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}` : ''}`,
      );
    }
    await sleep(250);
  }
}
