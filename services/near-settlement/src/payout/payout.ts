// The Payout aggregate: what happened (events), what it means (state, evolve). Pure.
// One payout per (disbursement, attempt); stream `payout-<disbursementId>-<attempt>`.

/** What DisbursementReleased asks to pay. Amounts are whole base units as decimal strings. */
export type PayoutRequest = {
  payoutId: string;
  disbursementId: string;
  attempt: number;
  grantId: string;
  tranche: number;
  treasuryAccountId: string;
  receiver: string;
  asset: string;
  amount: string;
};

/**
 * Why a signed transaction can never land (DESIGN.md §5 step 5). The only proof accepted for new
 * deaths is `expired`: the head is past the transaction's block height + validity period (it can
 * never be included from now on), `tx` does not know it, AND the lane key's nonce read at that head
 * is below the transaction's nonce (so it was never included before either). `nonce_passed` is
 * kept only so that events recorded before this rule still evolve; the decider refuses it: a key
 * nonce at or past ours with `tx` not knowing the transaction may mean it landed and a node
 * forgot it (garbage collection, a lagging node), which must never lead to a second payment.
 */
export type DeathProof =
  | {
      kind: 'expired';
      txBlockHeight: number;
      headHeight: number;
      validityPeriod: number;
      /** The transaction's nonce and the lane key's on-chain nonce at `headHeight`. */
      txNonce: string;
      accessKeyNonce: string;
      chainKnowsTransaction: false;
    }
  | {
      kind: 'nonce_passed';
      txNonce: string;
      accessKeyNonce: string;
      chainKnowsTransaction: false;
    };

export interface PayoutRequested {
  type: 'PayoutRequested';
  data: PayoutRequest & { requestedAt: string };
}

export interface PayoutTransactionSigned {
  type: 'PayoutTransactionSigned';
  data: {
    payoutId: string;
    txHash: string;
    signerPublicKey: string;
    nonce: string;
    blockHash: string;
    blockHeight: number;
    signedAt: string;
  };
}

/** Public (settlements.payout.v1): the transaction was broadcast. */
export interface PayoutSubmitted {
  type: 'PayoutSubmitted';
  data: {
    payoutId: string;
    disbursementId: string;
    attempt: number;
    txHash: string;
    signerPublicKey: string;
    nonce: string;
    receiver: string;
    asset: string;
    amount: string;
    submittedAt: string;
  };
}

export interface PayoutTransactionDead {
  type: 'PayoutTransactionDead';
  data: { payoutId: string; txHash: string; proof: DeathProof; provenAt: string };
}

/** Public: succeeded and FINAL. */
export interface PayoutSettled {
  type: 'PayoutSettled';
  data: {
    payoutId: string;
    disbursementId: string;
    attempt: number;
    txHash: string;
    blockHash: string;
    blockHeight: string;
    settledAt: string;
  };
}

/** Public: the chain refused or failed it (its reason), or it could not be built. */
export interface PayoutFailed {
  type: 'PayoutFailed';
  data: {
    payoutId: string;
    disbursementId: string;
    attempt: number;
    txHash: string | null;
    reason: string;
    failedAt: string;
  };
}

export type PayoutEvent =
  | PayoutRequested
  | PayoutTransactionSigned
  | PayoutSubmitted
  | PayoutTransactionDead
  | PayoutSettled
  | PayoutFailed;

export type TransactionStatus = 'signed' | 'broadcast' | 'dead' | 'settled' | 'failed';

export interface PayoutTransaction {
  txHash: string;
  signerPublicKey: string;
  nonce: string;
  blockHash: string;
  blockHeight: number;
  status: TransactionStatus;
}

export type PayoutStatus = 'requested' | 'signed' | 'broadcast' | 'settled' | 'failed';

export type PayoutState =
  | { status: 'none' }
  | {
      status: PayoutStatus;
      request: PayoutRequest;
      /** Every transaction signed for this payout, oldest first; at most one is live. */
      transactions: PayoutTransaction[];
      /** The live (or final) transaction, if any. */
      current: string | null;
      reason: string | null;
    };

export type ExistingPayout = Exclude<PayoutState, { status: 'none' }>;

export const initialState = (): PayoutState => ({ status: 'none' });

export const payoutIdOf = (disbursementId: string, attempt: number): string =>
  `${disbursementId}-${attempt}`;
export const payoutStreamId = (payoutId: string): string => `payout-${payoutId}`;

function withTransaction(
  state: ExistingPayout,
  txHash: string,
  status: TransactionStatus,
): PayoutTransaction[] {
  return state.transactions.map((tx) => (tx.txHash === txHash ? { ...tx, status } : tx));
}

export function evolve(state: PayoutState, event: PayoutEvent): PayoutState {
  switch (event.type) {
    case 'PayoutRequested': {
      const { requestedAt: _requestedAt, ...request } = event.data;
      return { status: 'requested', request, transactions: [], current: null, reason: null };
    }
    case 'PayoutTransactionSigned': {
      if (state.status === 'none') return state;
      const { payoutId: _p, signedAt: _s, ...tx } = event.data;
      return {
        ...state,
        status: 'signed',
        current: tx.txHash,
        transactions: [...state.transactions, { ...tx, status: 'signed' }],
      };
    }
    case 'PayoutSubmitted':
      if (state.status === 'none') return state;
      return {
        ...state,
        status: 'broadcast',
        transactions: withTransaction(state, event.data.txHash, 'broadcast'),
      };
    case 'PayoutTransactionDead':
      if (state.status === 'none') return state;
      return {
        ...state,
        status: 'requested',
        current: null,
        transactions: withTransaction(state, event.data.txHash, 'dead'),
      };
    case 'PayoutSettled':
      if (state.status === 'none') return state;
      return {
        ...state,
        status: 'settled',
        transactions: withTransaction(state, event.data.txHash, 'settled'),
      };
    case 'PayoutFailed':
      if (state.status === 'none') return state;
      return {
        ...state,
        status: 'failed',
        reason: event.data.reason,
        transactions: event.data.txHash
          ? withTransaction(state, event.data.txHash, 'failed')
          : state.transactions,
      };
    default: {
      const never: never = event;
      throw new Error(`unknown payout event ${JSON.stringify(never)}`);
    }
  }
}

/** The transaction that may still land (signed or broadcast), if any. */
export function liveTransaction(state: PayoutState): PayoutTransaction | undefined {
  if (state.status !== 'signed' && state.status !== 'broadcast') return undefined;
  return state.transactions.find((tx) => tx.txHash === state.current);
}
