import {
  decide,
  evolve,
  initialState,
  liveTransaction,
  payoutIdOf,
  payoutStreamId,
  type DeathProof,
  type PayoutCommand,
  type PayoutEvent,
  type PayoutRequest,
  type PayoutState,
} from './payout.decider';

const NOW = '2026-12-01T10:00:00.000Z';
const request: PayoutRequest = {
  payoutId: '11111111-1111-4111-8111-111111111111-1-1',
  disbursementId: '11111111-1111-4111-8111-111111111111-1',
  attempt: 1,
  grantId: '11111111-1111-4111-8111-111111111111',
  tranche: 1,
  treasuryAccountId: 'treasury.test.near',
  receiver: 'founder.test.near',
  asset: 'USDC',
  amount: '2500000000',
};
const TX1 = {
  txHash: 'Hash1111111111111111111111111111111111111111',
  signerPublicKey: 'ed25519:KEY',
  nonce: '1000000001',
  blockHash: 'Block1',
  blockHeight: 1000,
};
const TX2 = {
  ...TX1,
  txHash: 'Hash2222222222222222222222222222222222222222',
  nonce: '1000000002',
  blockHeight: 1200,
};

const given = (...commands: PayoutCommand[]): PayoutState =>
  commands.reduce<PayoutState>(
    (state, command) => decide(command, state).reduce(evolve, state),
    initialState(),
  );
const when = (state: PayoutState, command: PayoutCommand): PayoutEvent[] => decide(command, state);
const types = (events: PayoutEvent[]) => events.map((e) => e.type);

const requested: PayoutCommand = { type: 'RequestPayout', data: { ...request, now: NOW } };
const signed = (tx = TX1): PayoutCommand => ({
  type: 'RecordSignedTransaction',
  data: { ...tx, now: NOW },
});
const broadcast = (txHash = TX1.txHash): PayoutCommand => ({
  type: 'RecordBroadcast',
  data: { txHash, now: NOW },
});
const success = (txHash = TX1.txHash, finality = 'FINAL'): PayoutCommand => ({
  type: 'RecordOutcome',
  data: {
    txHash,
    finality,
    now: NOW,
    outcome: { kind: 'success', blockHash: 'BlockX', blockHeight: 1003 },
  },
});
const failure = (txHash = TX1.txHash): PayoutCommand => ({
  type: 'RecordOutcome',
  data: {
    txHash,
    finality: 'FINAL',
    now: NOW,
    outcome: { kind: 'failure', reason: 'AccountDoesNotExist: {}' },
  },
});
const expired = (over: Partial<Extract<DeathProof, { kind: 'expired' }>> = {}): DeathProof => ({
  kind: 'expired',
  txBlockHeight: TX1.blockHeight,
  headHeight: TX1.blockHeight + 101,
  validityPeriod: 100,
  txNonce: TX1.nonce,
  accessKeyNonce: String(BigInt(TX1.nonce) - 1n),
  chainKnowsTransaction: false,
  ...over,
});
const dead = (proof: DeathProof = expired(), txHash = TX1.txHash): PayoutCommand => ({
  type: 'RecordDeadTransaction',
  data: { txHash, proof, now: NOW },
});

describe('Payout decider', () => {
  describe('RequestPayout', () => {
    it('creates the payout', () => {
      expect(when(initialState(), requested)).toEqual([
        { type: 'PayoutRequested', data: { ...request, requestedAt: NOW } },
      ]);
    });
    it('a redelivered release with the same terms decides nothing', () => {
      expect(when(given(requested), requested)).toEqual([]);
      expect(when(given(requested, signed(), broadcast(), success()), requested)).toEqual([]);
    });
    it('the same (disbursement, attempt) with other terms is a conflict', () => {
      for (const change of [{ amount: '1' }, { receiver: 'other.test.near' }, { asset: 'NEAR' }]) {
        expect(() =>
          when(given(requested), {
            type: 'RequestPayout',
            data: { ...request, ...change, now: NOW },
          }),
        ).toThrow(expect.objectContaining({ code: 'payout_conflict' }));
      }
    });
    it('refuses a non-positive amount', () => {
      expect(() =>
        when(initialState(), {
          type: 'RequestPayout',
          data: { ...request, amount: '0', now: NOW },
        }),
      ).toThrow(expect.objectContaining({ code: 'payout_conflict' }));
    });
  });

  it('every other command needs an existing payout', () => {
    expect(() => when(initialState(), signed())).toThrow(
      expect.objectContaining({ code: 'payout_not_found' }),
    );
  });

  describe('RecordSignedTransaction', () => {
    it('records the signed transaction before anything is sent', () => {
      const events = when(given(requested), signed());
      expect(events).toEqual([
        {
          type: 'PayoutTransactionSigned',
          data: { payoutId: request.payoutId, ...TX1, signedAt: NOW },
        },
      ]);
      expect(events.reduce(evolve, given(requested))).toMatchObject({
        status: 'signed',
        current: TX1.txHash,
      });
    });
    it('replaying the same signed transaction decides nothing', () => {
      expect(when(given(requested, signed()), signed())).toEqual([]);
    });
    it('never a second transaction while one may still land (signed or broadcast)', () => {
      for (const state of [given(requested, signed()), given(requested, signed(), broadcast())]) {
        expect(() => when(state, signed(TX2))).toThrow(
          expect.objectContaining({ code: 'live_transaction_exists' }),
        );
      }
    });
    it('after a proven death a new transaction is signed within the same attempt', () => {
      const state = given(requested, signed(), broadcast(), dead());
      expect(types(when(state, signed(TX2)))).toEqual(['PayoutTransactionSigned']);
    });
    it('a dead transaction or its nonce is never used again', () => {
      const state = given(requested, signed(), dead());
      expect(() => when(state, signed())).toThrow(
        expect.objectContaining({ code: 'transaction_already_recorded' }),
      );
      expect(() => when(state, signed({ ...TX2, nonce: TX1.nonce }))).toThrow(
        expect.objectContaining({ code: 'transaction_already_recorded' }),
      );
    });
    it('nothing is signed for a finished payout', () => {
      for (const state of [
        given(requested, signed(), broadcast(), success()),
        given(requested, signed(), broadcast(), failure()),
      ]) {
        expect(() => when(state, signed(TX2))).toThrow(
          expect.objectContaining({ code: 'payout_finished' }),
        );
      }
    });
  });

  describe('RecordBroadcast', () => {
    it('publishes PayoutSubmitted with the hash, key and nonce', () => {
      expect(when(given(requested, signed()), broadcast())).toEqual([
        {
          type: 'PayoutSubmitted',
          data: {
            payoutId: request.payoutId,
            disbursementId: request.disbursementId,
            attempt: 1,
            txHash: TX1.txHash,
            signerPublicKey: TX1.signerPublicKey,
            nonce: TX1.nonce,
            receiver: request.receiver,
            asset: 'USDC',
            amount: request.amount,
            submittedAt: NOW,
          },
        },
      ]);
    });
    it('is submitted once however often it is re-broadcast', () => {
      expect(when(given(requested, signed(), broadcast()), broadcast())).toEqual([]);
    });
    it('only for the live transaction', () => {
      expect(() => when(given(requested), broadcast())).toThrow(
        expect.objectContaining({ code: 'no_live_transaction' }),
      );
      expect(() => when(given(requested, signed()), broadcast(TX2.txHash))).toThrow(
        expect.objectContaining({ code: 'not_the_current_transaction' }),
      );
      expect(() => when(given(requested, signed(), dead()), broadcast())).toThrow(
        expect.objectContaining({ code: 'no_live_transaction' }),
      );
    });
  });

  describe('RecordOutcome', () => {
    it('settles at FINAL with the block', () => {
      expect(when(given(requested, signed(), broadcast()), success())).toEqual([
        {
          type: 'PayoutSettled',
          data: {
            payoutId: request.payoutId,
            disbursementId: request.disbursementId,
            attempt: 1,
            txHash: TX1.txHash,
            blockHash: 'BlockX',
            blockHeight: '1003',
            settledAt: NOW,
          },
        },
      ]);
    });
    it('an outcome found before the broadcast was recorded (crash) is submitted, then settled', () => {
      expect(types(when(given(requested, signed()), success()))).toEqual([
        'PayoutSubmitted',
        'PayoutSettled',
      ]);
    });
    it('fails with the chain reason, once', () => {
      const state = given(requested, signed(), broadcast());
      expect(when(state, failure())).toEqual([
        expect.objectContaining({
          type: 'PayoutFailed',
          data: expect.objectContaining({ reason: 'AccountDoesNotExist: {}', txHash: TX1.txHash }),
        }),
      ]);
      expect(when(given(requested, signed(), broadcast(), failure()), failure())).toEqual([]);
    });
    it('the same final outcome twice decides nothing; a contradicting one is refused', () => {
      const settled = given(requested, signed(), broadcast(), success());
      expect(when(settled, success())).toEqual([]);
      expect(() => when(settled, failure())).toThrow(
        expect.objectContaining({ code: 'payout_finished' }),
      );
    });
    it('only a FINAL outcome counts', () => {
      expect(() =>
        when(given(requested, signed(), broadcast()), success(TX1.txHash, 'EXECUTED_OPTIMISTIC')),
      ).toThrow(expect.objectContaining({ code: 'outcome_not_final' }));
    });
    it('an outcome of a transaction proven dead, or of another one, is refused', () => {
      const resigned = given(requested, signed(), dead(), signed(TX2));
      expect(() => when(resigned, success(TX1.txHash))).toThrow(
        expect.objectContaining({ code: 'not_the_current_transaction' }),
      );
      expect(() => when(given(requested, signed(), dead()), success())).toThrow(
        expect.objectContaining({ code: 'no_live_transaction' }),
      );
    });
  });

  describe('RecordRejection (refused at send, never included)', () => {
    const rejection = (txHash = TX1.txHash): PayoutCommand => ({
      type: 'RecordRejection',
      data: { txHash, reason: 'NotEnoughBalance', now: NOW },
    });
    it('fails the payout with the reason when the first send was refused', () => {
      expect(when(given(requested, signed()), rejection())).toEqual([
        expect.objectContaining({
          type: 'PayoutFailed',
          data: expect.objectContaining({ reason: 'NotEnoughBalance' }),
        }),
      ]);
    });
    it('a refused re-broadcast of a submitted transaction proves nothing', () => {
      expect(() => when(given(requested, signed(), broadcast()), rejection())).toThrow(
        expect.objectContaining({ code: 'proof_insufficient' }),
      );
    });
    it('only for the live transaction', () => {
      expect(() => when(given(requested, signed()), rejection(TX2.txHash))).toThrow(
        expect.objectContaining({ code: 'not_the_current_transaction' }),
      );
    });
  });

  describe('RecordDeadTransaction', () => {
    it('accepts head past block height + validity period while the chain does not know it', () => {
      const events = when(given(requested, signed(), broadcast()), dead());
      expect(events).toEqual([
        {
          type: 'PayoutTransactionDead',
          data: { payoutId: request.payoutId, txHash: TX1.txHash, proof: expired(), provenAt: NOW },
        },
      ]);
      expect(events.reduce(evolve, given(requested, signed(), broadcast()))).toMatchObject({
        status: 'requested',
        current: null,
      });
    });
    // Changed (audit): this used to ACCEPT a key nonce at/past the transaction's as proof of
    // death ("or the lane key's nonce passed it"). That is unsafe: a transaction that landed and
    // was garbage-collected by the node (or a lagging node) answers UNKNOWN with the nonce passed,
    // so re-signing would pay twice. It is now refused.
    it('refuses the lane key nonce having reached the transaction nonce (it may have landed)', () => {
      const proof: DeathProof = {
        kind: 'nonce_passed',
        txNonce: TX1.nonce,
        accessKeyNonce: TX1.nonce,
        chainKnowsTransaction: false,
      };
      expect(() => when(given(requested, signed()), dead(proof))).toThrow(
        expect.objectContaining({ code: 'proof_insufficient' }),
      );
      expect(() => when(given(requested, signed(), broadcast()), dead(proof))).toThrow(
        expect.objectContaining({ code: 'proof_insufficient' }),
      );
    });
    it('refuses an expiry whose lane key nonce at the head reached or passed the transaction nonce', () => {
      for (const accessKeyNonce of [TX1.nonce, String(BigInt(TX1.nonce) + 1n), '99999999999']) {
        expect(() =>
          when(given(requested, signed(), broadcast()), dead(expired({ accessKeyNonce }))),
        ).toThrow(expect.objectContaining({ code: 'proof_insufficient' }));
      }
    });
    it('accepts an expiry whose lane key nonce at the head is just below the transaction nonce', () => {
      const accessKeyNonce = String(BigInt(TX1.nonce) - 1n);
      expect(types(when(given(requested, signed()), dead(expired({ accessKeyNonce }))))).toEqual([
        'PayoutTransactionDead',
      ]);
    });
    it('refuses an expiry without the lane key nonce, or about another nonce', () => {
      const { accessKeyNonce: _omitted, ...withoutNonce } = expired() as Extract<
        DeathProof,
        { kind: 'expired' }
      >;
      void _omitted;
      expect(() =>
        when(given(requested, signed()), dead(withoutNonce as unknown as DeathProof)),
      ).toThrow(expect.objectContaining({ code: 'proof_insufficient' }));
      expect(() =>
        when(given(requested, signed()), dead(expired({ txNonce: '5', accessKeyNonce: '4' }))),
      ).toThrow(expect.objectContaining({ code: 'proof_insufficient' }));
    });
    it('refuses a head at (not past) the end of the validity period', () => {
      expect(() =>
        when(given(requested, signed()), dead(expired({ headHeight: TX1.blockHeight + 100 }))),
      ).toThrow(expect.objectContaining({ code: 'proof_insufficient' }));
    });
    it('refuses a proof about another block height or nonce', () => {
      expect(() =>
        when(given(requested, signed()), dead(expired({ txBlockHeight: 10, headHeight: 5000 }))),
      ).toThrow(expect.objectContaining({ code: 'proof_insufficient' }));
      const other: DeathProof = {
        kind: 'nonce_passed',
        txNonce: '5',
        accessKeyNonce: '9999999999',
        chainKnowsTransaction: false,
      };
      expect(() => when(given(requested, signed()), dead(other))).toThrow(
        expect.objectContaining({ code: 'proof_insufficient' }),
      );
    });
    it('refuses an access key nonce below the transaction nonce', () => {
      const proof: DeathProof = {
        kind: 'nonce_passed',
        txNonce: TX1.nonce,
        accessKeyNonce: '1000000000',
        chainKnowsTransaction: false,
      };
      expect(() => when(given(requested, signed()), dead(proof))).toThrow(
        expect.objectContaining({ code: 'proof_insufficient' }),
      );
    });
    it('refuses when the chain knows the transaction', () => {
      const proof = { ...expired(), chainKnowsTransaction: true } as unknown as DeathProof;
      expect(() => when(given(requested, signed()), dead(proof))).toThrow(
        expect.objectContaining({ code: 'proof_insufficient' }),
      );
    });
    it('a finished payout cannot have its transaction declared dead', () => {
      expect(() => when(given(requested, signed(), broadcast(), success()), dead())).toThrow(
        expect.objectContaining({ code: 'payout_finished' }),
      );
    });
    it('recording the same death again decides nothing', () => {
      expect(when(given(requested, signed(), dead()), dead())).toEqual([]);
    });
  });

  describe('FailPayout (could not be built)', () => {
    const fail: PayoutCommand = {
      type: 'FailPayout',
      data: { reason: 'asset X is not configured', now: NOW },
    };
    it('fails a payout with no live transaction, without a hash', () => {
      expect(when(given(requested), fail)).toEqual([
        expect.objectContaining({
          type: 'PayoutFailed',
          data: expect.objectContaining({ txHash: null, reason: 'asset X is not configured' }),
        }),
      ]);
    });
    it('never while a transaction may still land', () => {
      expect(() => when(given(requested, signed()), fail)).toThrow(
        expect.objectContaining({ code: 'live_transaction_exists' }),
      );
    });
    it('not a settled payout', () => {
      expect(() => when(given(requested, signed(), broadcast(), success()), fail)).toThrow(
        expect.objectContaining({ code: 'payout_finished' }),
      );
    });
  });

  describe('pinned rules and error details (mutation testing)', () => {
    const fails = (fn: () => unknown, code: string, message: string) =>
      expect(fn).toThrow(expect.objectContaining({ code, message }));
    const rejection = (txHash = TX1.txHash): PayoutCommand => ({
      type: 'RecordRejection',
      data: { txHash, reason: 'NotEnoughBalance', now: NOW },
    });
    const fail: PayoutCommand = { type: 'FailPayout', data: { reason: 'no asset', now: NOW } };
    const deadTx2 = dead(
      expired({
        txBlockHeight: TX2.blockHeight,
        headHeight: TX2.blockHeight + 101,
        txNonce: TX2.nonce,
        accessKeyNonce: TX1.nonce,
      }),
      TX2.txHash,
    );

    it('a repeated RequestPayout differing in any identifying field is a conflict', () => {
      for (const change of [
        { payoutId: 'other-payout' },
        { disbursementId: 'other-disbursement' },
        { attempt: 2 },
        { grantId: 'other-grant' },
        { tranche: 2 },
        { treasuryAccountId: 'other-treasury.test.near' },
        { receiver: 'other.test.near' },
        { asset: 'NEAR' },
        { amount: '2500000001' },
      ]) {
        const data = { ...request, ...change, now: NOW };
        fails(
          () => when(given(requested), { type: 'RequestPayout', data }),
          'payout_conflict',
          `payout ${data.payoutId} was already requested with different terms`,
        );
      }
    });
    it('an amount must be a whole positive number of base units, nothing around it', () => {
      for (const amount of ['0', '-5', '5abc', 'abc5', '05', '1.5', ' 5', '5 ', '']) {
        for (const state of [initialState(), given(requested)]) {
          fails(
            () => when(state, { type: 'RequestPayout', data: { ...request, amount, now: NOW } }),
            'payout_conflict',
            `amount ${amount} is not a positive integer`,
          );
        }
      }
      expect(
        types(
          when(initialState(), {
            type: 'RequestPayout',
            data: { ...request, amount: '7', now: NOW },
          }),
        ),
      ).toEqual(['PayoutRequested']);
    });
    it('a command for a payout never requested is not found', () => {
      fails(() => when(initialState(), fail), 'payout_not_found', 'no such payout');
      fails(() => when(initialState(), broadcast()), 'payout_not_found', 'no such payout');
    });
    it('an unknown command or outcome is an error, never ignored', () => {
      const unknown = { type: 'Nope', data: {} } as unknown as PayoutCommand;
      expect(() => when(given(requested), unknown)).toThrow(
        'unknown payout command {"type":"Nope","data":{}}',
      );
      const odd = {
        type: 'RecordOutcome',
        data: { txHash: TX1.txHash, finality: 'FINAL', now: NOW, outcome: { kind: 'maybe' } },
      } as unknown as PayoutCommand;
      expect(() => when(given(requested, signed()), odd)).toThrow(
        'unknown outcome {"kind":"maybe"}',
      );
    });
    it('an unknown stored event is an error, and evolve of a missing payout ignores the rest', () => {
      expect(() =>
        evolve(given(requested), { type: 'Nope', data: {} } as unknown as PayoutEvent),
      ).toThrow('unknown payout event {"type":"Nope","data":{}}');
      const none = initialState();
      for (const command of [signed(), broadcast(), success(), dead()]) {
        for (const event of decide(command, given(requested, signed()))) {
          expect(evolve(none, event)).toEqual({ status: 'none' });
        }
      }
      for (const event of decide(signed(), given(requested))) {
        expect(evolve(none, event)).toEqual({ status: 'none' });
      }
      for (const event of decide(fail, given(requested))) {
        expect(evolve(none, event)).toEqual({ status: 'none' });
      }
    });
    it('a request evolves to a requested payout with no transaction', () => {
      expect(given(requested)).toEqual({
        status: 'requested',
        request,
        transactions: [],
        current: null,
        reason: null,
      });
    });
    it('the submission of a second transaction carries the key and nonce of that transaction', () => {
      const resigned = given(
        requested,
        signed(),
        dead(),
        signed({ ...TX2, signerPublicKey: 'ed25519:K2' }),
      );
      expect(when(resigned, broadcast(TX2.txHash))).toEqual([
        expect.objectContaining({
          type: 'PayoutSubmitted',
          data: expect.objectContaining({
            txHash: TX2.txHash,
            signerPublicKey: 'ed25519:K2',
            nonce: TX2.nonce,
          }),
        }),
      ]);
    });
    it('only a signed or broadcast transaction is live', () => {
      expect(liveTransaction(given(requested, signed()))?.txHash).toBe(TX1.txHash);
      expect(liveTransaction(given(requested, signed(), broadcast()))?.txHash).toBe(TX1.txHash);
      for (const state of [
        initialState(),
        given(requested),
        given(requested, signed(), dead()),
        given(requested, signed(), broadcast(), success()),
        given(requested, signed(), broadcast(), failure()),
      ]) {
        expect(liveTransaction(state)).toBeUndefined();
      }
    });
    it('the payout id and stream name', () => {
      expect(payoutIdOf('d-1', 2)).toBe('d-1-2');
      expect(payoutStreamId('d-1-2')).toBe('payout-d-1-2');
    });

    it('signing: a replay after the broadcast is still refused as a second live transaction', () => {
      fails(
        () => when(given(requested, signed(), broadcast()), signed()),
        'live_transaction_exists',
        `transaction ${TX1.txHash} may still land; a new one needs a proof that it cannot`,
      );
      fails(
        () => when(given(requested, signed()), signed(TX2)),
        'live_transaction_exists',
        `transaction ${TX1.txHash} may still land; a new one needs a proof that it cannot`,
      );
    });
    it('signing: a used hash and a used (key, nonce) are refused with what was reused', () => {
      const state = given(requested, signed(), dead());
      fails(
        () => when(state, signed()),
        'transaction_already_recorded',
        `${TX1.txHash} was already used`,
      );
      fails(
        () => when(state, signed({ ...TX2, nonce: TX1.nonce })),
        'transaction_already_recorded',
        `nonce ${TX1.nonce} was already used`,
      );
      expect(
        types(when(state, signed({ ...TX2, nonce: TX1.nonce, signerPublicKey: 'ed25519:OTHER' }))),
      ).toEqual(['PayoutTransactionSigned']);
    });
    it('signing: a finished payout says which way it finished', () => {
      fails(
        () => when(given(requested, signed(), broadcast(), success()), signed(TX2)),
        'payout_finished',
        `payout ${request.payoutId} is settled`,
      );
      fails(
        () => when(given(requested, signed(), broadcast(), failure()), signed()),
        'payout_finished',
        `payout ${request.payoutId} is failed`,
      );
    });

    it('broadcast: already submitted, settled or failed decides nothing; a finished one is not re-broadcast', () => {
      expect(when(given(requested, signed(), broadcast(), success()), broadcast())).toEqual([]);
      expect(when(given(requested, signed(), failure()), broadcast())).toEqual([]);
      fails(
        () => when(given(requested, signed(), broadcast(), success()), broadcast(TX2.txHash)),
        'payout_finished',
        `payout ${request.payoutId} is settled`,
      );
      fails(
        () => when(given(requested), broadcast()),
        'no_live_transaction',
        'the payout has no transaction that may land',
      );
      fails(
        () => when(given(requested, signed()), broadcast(TX2.txHash)),
        'not_the_current_transaction',
        `${TX2.txHash} is not the payout's live transaction (${TX1.txHash})`,
      );
    });

    it('outcome: a finished payout is never changed by an outcome of another transaction', () => {
      fails(
        () => when(given(requested, signed(), broadcast(), success()), success(TX2.txHash)),
        'payout_finished',
        `payout ${request.payoutId} is settled`,
      );
      fails(
        () => when(given(requested, signed(), broadcast(), failure()), failure(TX2.txHash)),
        'payout_finished',
        `payout ${request.payoutId} is failed`,
      );
      fails(
        () => when(given(requested, signed(), broadcast(), failure()), success()),
        'payout_finished',
        `payout ${request.payoutId} is failed`,
      );
      fails(
        () =>
          when(given(requested, signed(), broadcast()), success(TX1.txHash, 'EXECUTED_OPTIMISTIC')),
        'outcome_not_final',
        'outcome at EXECUTED_OPTIMISTIC is not FINAL',
      );
    });
    it('outcome: a failure before the broadcast was recorded is submitted, then failed, in full', () => {
      expect(when(given(requested, signed()), failure())).toEqual([
        expect.objectContaining({ type: 'PayoutSubmitted' }),
        {
          type: 'PayoutFailed',
          data: {
            payoutId: request.payoutId,
            disbursementId: request.disbursementId,
            attempt: 1,
            txHash: TX1.txHash,
            reason: 'AccountDoesNotExist: {}',
            failedAt: NOW,
          },
        },
      ]);
    });

    it('rejection: recorded once, never for a finished payout or another hash', () => {
      const failed = given(requested, signed(), rejection());
      expect(when(failed, rejection())).toEqual([]);
      fails(
        () => when(failed, rejection(TX2.txHash)),
        'payout_finished',
        `payout ${request.payoutId} is failed`,
      );
      fails(
        () => when(given(requested, signed(), broadcast(), success()), rejection()),
        'payout_finished',
        `payout ${request.payoutId} is settled`,
      );
      fails(
        () => when(given(requested, signed(), broadcast()), rejection()),
        'proof_insufficient',
        'a refused re-broadcast does not prove the submitted transaction failed',
      );
      expect(when(given(requested, signed()), rejection())).toEqual([
        {
          type: 'PayoutFailed',
          data: {
            payoutId: request.payoutId,
            disbursementId: request.disbursementId,
            attempt: 1,
            txHash: TX1.txHash,
            reason: 'NotEnoughBalance',
            failedAt: NOW,
          },
        },
      ]);
    });

    it('fail: once; never a settled payout; never with a live transaction', () => {
      const failed = given(requested, fail);
      expect(when(failed, fail)).toEqual([]);
      expect(failed).toMatchObject({ status: 'failed', reason: 'no asset', transactions: [] });
      expect(when(given(requested, signed(), failure()), fail)).toEqual([]);
      fails(
        () => when(given(requested, signed(), broadcast(), success()), fail),
        'payout_finished',
        `payout ${request.payoutId} is settled`,
      );
      fails(
        () => when(given(requested, signed(), broadcast()), fail),
        'live_transaction_exists',
        `transaction ${TX1.txHash} may still land; the payout cannot fail without its outcome`,
      );
      expect(when(given(requested), fail)).toEqual([
        {
          type: 'PayoutFailed',
          data: {
            payoutId: request.payoutId,
            disbursementId: request.disbursementId,
            attempt: 1,
            txHash: null,
            reason: 'no asset',
            failedAt: NOW,
          },
        },
      ]);
    });

    describe('dead-transaction proof', () => {
      const live = () => given(requested, signed(), broadcast());
      const refused = (proof: DeathProof, message: string) =>
        fails(() => when(live(), dead(proof)), 'proof_insufficient', message);

      it('the validity period must be a positive integer', () => {
        for (const validityPeriod of [0, -1, 0.5, 1.5, Number.NaN]) {
          refused(expired({ validityPeriod }), 'validity period must be a positive integer');
        }
      });
      it('a validity period of 1 is enough when the head is past it', () => {
        expect(
          types(
            when(live(), dead(expired({ validityPeriod: 1, headHeight: TX1.blockHeight + 2 }))),
          ),
        ).toEqual(['PayoutTransactionDead']);
        refused(
          expired({ validityPeriod: 1, headHeight: TX1.blockHeight + 1 }),
          `head ${TX1.blockHeight + 1} is not past ${TX1.blockHeight} + 1`,
        );
      });
      it('the lane key nonce at the head must be a decimal string of at most 20 digits', () => {
        for (const accessKeyNonce of [
          '',
          '-1',
          '1x',
          'x1',
          '1 ',
          ' 1',
          '1.0',
          '123456789012345678901',
        ]) {
          refused(expired({ accessKeyNonce }), 'the lane key nonce at the head is required');
        }
        refused(
          expired({ accessKeyNonce: 5 as unknown as string }),
          'the lane key nonce at the head is required',
        );
        expect(types(when(live(), dead(expired({ accessKeyNonce: '0' }))))).toEqual([
          'PayoutTransactionDead',
        ]);
        expect(types(when(live(), dead(expired({ accessKeyNonce: '0001000000000' }))))).toEqual([
          'PayoutTransactionDead',
        ]);
      });
      it('an expired proof needs the key nonce below the transaction nonce', () => {
        for (const accessKeyNonce of [TX1.nonce, '1000000002', '99999999999999999999']) {
          refused(
            expired({ accessKeyNonce }),
            `access key nonce ${accessKeyNonce} reached ${TX1.nonce}: the transaction may have landed`,
          );
        }
      });
      it('each other check says what is wrong', () => {
        refused(
          { ...expired(), chainKnowsTransaction: true } as unknown as DeathProof,
          'the chain knows the transaction',
        );
        refused(
          expired({ txBlockHeight: 999, headHeight: 5000 }),
          'proof is about another block height',
        );
        refused(
          expired({ headHeight: TX1.blockHeight + 100 }),
          `head ${TX1.blockHeight + 100} is not past ${TX1.blockHeight} + 100`,
        );
        refused(expired({ txNonce: '1000000002' }), 'proof is about another nonce');
      });
      it('nonce_passed is always refused, whatever its nonces', () => {
        for (const accessKeyNonce of ['0', '1000000000', TX1.nonce, '1000000002']) {
          refused(
            {
              kind: 'nonce_passed',
              txNonce: TX1.nonce,
              accessKeyNonce,
              chainKnowsTransaction: false,
            },
            'a passed nonce does not prove the transaction is dead (it may have landed and been forgotten)',
          );
        }
      });
      it('an unknown proof kind is refused', () => {
        refused(
          { kind: 'vanished', chainKnowsTransaction: false } as unknown as DeathProof,
          'unknown proof {"kind":"vanished","chainKnowsTransaction":false}',
        );
      });
      it('a death is recorded once per transaction: the next one can die too', () => {
        const resigned = given(requested, signed(), dead(), signed(TX2), broadcast(TX2.txHash));
        expect(when(resigned, dead())).toEqual([]);
        expect(types(when(resigned, deadTx2))).toEqual(['PayoutTransactionDead']);
      });
      it('a finished payout cannot have a transaction declared dead', () => {
        fails(
          () => when(given(requested, signed(), broadcast(), success()), dead()),
          'payout_finished',
          `payout ${request.payoutId} is settled`,
        );
      });
    });

    it('evolve keeps every transaction and changes only the one the event is about', () => {
      const tx = (t: typeof TX1, status: string) => ({ ...t, status });
      const resigned = given(
        requested,
        signed(),
        broadcast(),
        dead(),
        signed(TX2),
        broadcast(TX2.txHash),
      );
      expect(resigned).toEqual({
        status: 'broadcast',
        request,
        transactions: [tx(TX1, 'dead'), tx(TX2, 'broadcast')],
        current: TX2.txHash,
        reason: null,
      });
      expect(given(requested, signed(), dead(), signed(TX2), success(TX2.txHash))).toEqual({
        status: 'settled',
        request,
        transactions: [tx(TX1, 'dead'), tx(TX2, 'settled')],
        current: TX2.txHash,
        reason: null,
      });
      expect(given(requested, signed(), dead(), signed(TX2), failure(TX2.txHash))).toEqual({
        status: 'failed',
        request,
        transactions: [tx(TX1, 'dead'), tx(TX2, 'failed')],
        current: TX2.txHash,
        reason: 'AccountDoesNotExist: {}',
      });
      expect(given(requested, signed(), dead(), fail)).toEqual({
        status: 'failed',
        request,
        transactions: [tx(TX1, 'dead')],
        current: null,
        reason: 'no asset',
      });
    });
  });
});
