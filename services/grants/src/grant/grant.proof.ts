import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { JsonRpcProvider } from 'near-api-js';
import { AuthError, type SignInChallengeStore } from '@lib/auth';
import { type AssetRegistry, formatAmount, Nep413Error, verifyNep413SignIn } from '@lib/near';
import { ProblemError, SERVICE_CONFIG } from '@lib/platform';
import type { GrantsConfig } from '../config';
import type { Grant } from './grant';
import type { SignedMessage } from './grant.dto';

export const PROOF_CHALLENGE_STORE = Symbol('PROOF_CHALLENGE_STORE');
export const NEAR_PROVIDER = Symbol('NEAR_PROVIDER');
export const ASSET_REGISTRY = Symbol('ASSET_REGISTRY');

/** What a proof proves: consent to the terms, or control of a proposed payout account. */
export type ProofPurpose = 'accept' | 'payout-account';

export interface ProofChallenge {
  message: string;
  recipient: string;
  nonce: string;
  expiresAt: string;
  termsHash: string;
}

const TERMS_HASH_IN_MESSAGE = /Terms sha256: ([0-9a-f]{64})\./;

/**
 * NEP-413 challenges and their verification for grant acceptance and payout-account changes,
 * the way sign-in does it: a single-use nonce of our own (stored in the grants schema, bound to
 * purpose, grant and signing account), the signature, and the key being a full-access key of the
 * account over RPC. The message names the grant and the sha256 of its canonical terms.
 */
@Injectable()
export class GrantProofs {
  constructor(
    @Inject(PROOF_CHALLENGE_STORE) private readonly challenges: SignInChallengeStore,
    @Inject(NEAR_PROVIDER) private readonly provider: JsonRpcProvider,
    @Inject(ASSET_REGISTRY) private readonly assets: AssetRegistry,
    @Inject(SERVICE_CONFIG) private readonly config: GrantsConfig,
  ) {}

  async issue(input: {
    purpose: ProofPurpose;
    grant: Grant;
    /** The account that must sign: the payout account, or the proposed new one. */
    accountId: string;
    /** The account paid today (named in a payout-account change). */
    currentAccount: string;
    termsHash: string;
    now: Date;
  }): Promise<ProofChallenge> {
    const { grant, accountId, termsHash } = input;
    const expiresAt = new Date(
      input.now.getTime() + this.config.GRANT_CHALLENGE_TTL_SECONDS * 1000,
    );
    const decimals = this.assets.find(grant.asset)?.decimals ?? 0;
    const amount = `${formatAmount({ decimals }, grant.amount)} ${grant.asset}`;
    const what =
      input.purpose === 'accept'
        ? `Accept grant ${grant.id} "${grant.title}": ${amount} in ${grant.tranches.length} tranche(s), paid to ${accountId}.`
        : `Make ${accountId} the payout account of grant ${grant.id} "${grant.title}" (paid today: ${input.currentAccount}).`;
    const message = `${what} Terms sha256: ${termsHash}. Expires at ${expiresAt.toISOString()}.`;
    const nonce = randomBytes(32).toString('base64');
    const recipient = this.config.GRANT_ACCEPTANCE_RECIPIENT;
    await this.challenges.issue({
      nonce,
      accountId: bindingOf(input.purpose, grant.id, accountId),
      message,
      recipient,
      expiresAt,
    });
    return { message, recipient, nonce, expiresAt: expiresAt.toISOString(), termsHash };
  }

  /**
   * Spends the nonce (issued for this purpose, grant and account; unused; fresh), then checks
   * message and recipient as issued, the signature and the full-access key. Returns the terms
   * hash the signed message names. Throws 403 `proof_*` problems, 503 when RPC cannot tell.
   */
  async verify(input: {
    purpose: ProofPurpose;
    grantId: string;
    signed: SignedMessage;
    now: Date;
  }): Promise<{ termsHash: string }> {
    const { signed } = input;
    let issued: { message: string; recipient: string };
    try {
      // Single use: the nonce is spent before the signature is checked, so a replay never gets in.
      issued = await this.challenges.consume(
        signed.nonce,
        bindingOf(input.purpose, input.grantId, signed.accountId),
        input.now,
      );
    } catch (error) {
      if (error instanceof AuthError) {
        throw new ProblemError(403, `proof_${error.code}`, proofMessage(error.code));
      }
      throw error;
    }
    try {
      await verifyNep413SignIn({
        provider: this.provider,
        ...signed,
        expected: { recipient: issued.recipient, message: issued.message },
      });
    } catch (error) {
      if (error instanceof Nep413Error) {
        throw new ProblemError(403, `proof_${error.code}`, error.message);
      }
      throw new ProblemError(503, 'near_rpc_unavailable', 'NEAR RPC could not confirm the key');
    }
    const hash = TERMS_HASH_IN_MESSAGE.exec(issued.message)?.[1];
    if (!hash) throw new Error('an issued proof message lost its terms hash');
    return { termsHash: hash };
  }

  /** Challenges nobody can use any more; the table stays small. */
  purgeExpired(before: Date): Promise<number> {
    return this.challenges.purgeExpired(before);
  }
}

// The store's account column holds purpose, grant and account: a nonce answers one question only.
const bindingOf = (purpose: ProofPurpose, grantId: string, accountId: string) =>
  `${purpose}:${grantId}:${accountId}`;

function proofMessage(code: string): string {
  switch (code) {
    case 'challenge_reused':
      return 'this nonce was already used; request a new challenge';
    case 'challenge_expired':
      return 'the challenge expired; request a new one';
    default:
      return 'no challenge with this nonce was issued for this grant and account';
  }
}
