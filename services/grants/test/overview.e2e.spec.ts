import { randomBytes, randomUUID } from 'node:crypto';
import { disbursementId, type IntegrationEnvelope, TOPICS } from '@lib/contracts';
import { auth, envelopeOf, eventually, type Harness, startHarness, txHash } from './harness';

// The overview follows what milestones, disbursements and settlement publish (produced here as
// their relays would), and the grant completes when every tranche's disbursement settled.
describe('grant overview from the milestone, disbursement and payout topics; completion', () => {
  let h: Harness;
  let treasurer: string;

  beforeAll(async () => {
    h = await startHarness();
    treasurer = await h.staffToken(`treasurer-${randomBytes(3).toString('hex')}`, ['treasurer']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const activeGrant = () => h.activeGrant();

  type Tranche = {
    number: number;
    milestoneStatus: string | null;
    disbursementStatus: string | null;
    payoutStatus: string | null;
    payoutTxHash: string | null;
  };
  const trancheOnceItIs = (
    token: string,
    id: string,
    number: number,
    expected: Partial<Tranche>,
    grantStatus?: string,
  ) =>
    eventually(async () => {
      const { body } = await h.api().get(`/v1/grants/${id}`).set(auth(token)).expect(200);
      const tranche = (body.tranches as Tranche[]).find((t) => t.number === number)!;
      const matches = Object.entries(expected).every(
        ([key, value]) => tranche[key as keyof Tranche] === value,
      );
      return matches && (grantStatus === undefined || body.status === grantStatus)
        ? body
        : undefined;
    });

  it('shows each step per tranche and completes when every tranche settled', async () => {
    const grantsTopic = await h.tail(TOPICS.grant);
    const { founder, payout, id } = await activeGrant();
    const now = () => new Date().toISOString();
    const amounts = { 1: '15000000000', 2: '30000000000' } as const;

    const settledEvents: IntegrationEnvelope[] = [];
    for (const tranche of [1, 2] as const) {
      const dId = disbursementId(id, tranche);
      const hash = txHash();
      await h.publish(
        TOPICS.milestone,
        envelopeOf('MilestoneSubmitted', id, {
          grantId: id,
          tranche,
          submission: 1,
          summary: 'Done',
          evidenceUrls: ['https://github.com/example/repo'],
          submittedBy: founder.accountId,
          submittedAt: now(),
        }),
      );
      await trancheOnceItIs(founder.token, id, tranche, { milestoneStatus: 'submitted' });
      await h.publish(
        TOPICS.milestone,
        envelopeOf('MilestoneAccepted', id, {
          grantId: id,
          tranche,
          amount: amounts[tranche],
          asset: 'USDC',
          founder: founder.accountId,
          acceptedBy: 'rev-e2e',
          acceptedAt: now(),
        }),
      );
      const base = { disbursementId: dId, grantId: id, tranche };
      await h.publish(
        TOPICS.disbursement,
        envelopeOf('DisbursementRequested', dId, {
          ...base,
          asset: 'USDC',
          amount: amounts[tranche],
          receiver: payout.accountId,
          acceptedBy: 'rev-e2e',
          requestedAt: now(),
        }),
      );
      await trancheOnceItIs(treasurer, id, tranche, {
        milestoneStatus: 'accepted',
        disbursementStatus: 'awaiting_approval',
      });
      await h.publish(
        TOPICS.disbursement,
        envelopeOf('DisbursementApproved', dId, {
          ...base,
          approvedBy: 'treasurer-e2e',
          approvals: 1,
          required: 1,
          approvedAt: now(),
        }),
      );
      await h.publish(
        TOPICS.disbursement,
        envelopeOf('DisbursementReleased', dId, {
          ...base,
          attempt: 1,
          receiver: payout.accountId,
          asset: 'USDC',
          amount: amounts[tranche],
          releasedAt: now(),
        }),
      );
      await trancheOnceItIs(founder.token, id, tranche, { disbursementStatus: 'released' });
      const payoutRef = { payoutId: `${dId}-1`, disbursementId: dId, attempt: 1 };
      await h.publish(
        TOPICS.payout,
        envelopeOf('PayoutSubmitted', dId, {
          ...payoutRef,
          txHash: hash,
          signerPublicKey: 'ed25519:lane',
          nonce: '7',
          receiver: payout.accountId,
          asset: 'USDC',
          amount: amounts[tranche],
          submittedAt: now(),
        }),
      );
      await trancheOnceItIs(founder.token, id, tranche, {
        payoutStatus: 'broadcast',
        payoutTxHash: hash,
      });
      await h.publish(
        TOPICS.payout,
        envelopeOf('PayoutSettled', dId, {
          ...payoutRef,
          txHash: hash,
          blockHash: 'block',
          blockHeight: '100',
          settledAt: now(),
        }),
      );
      const settled = envelopeOf('DisbursementSettled', dId, {
        ...base,
        attempt: 1,
        txHash: hash,
        settledAt: now(),
      });
      settledEvents.push(settled);
      await h.publish(TOPICS.disbursement, settled);
      const body = await trancheOnceItIs(
        founder.token,
        id,
        tranche,
        { disbursementStatus: 'settled', payoutStatus: 'settled', payoutTxHash: hash },
        tranche === 1 ? 'active' : 'completed',
      );
      expect(body.tranches[tranche - 1]).toMatchObject({ disbursementId: dId });
    }

    const completed = await eventually(async () =>
      grantsTopic.events.find((e) => e.type === 'GrantCompleted' && e.aggregateId === id),
    );
    expect(completed.data).toEqual({
      grantId: id,
      completedAt: settledEvents[1].data.settledAt,
    });

    // a redelivered settlement changes nothing; so does the same fact under a new event id
    // (published after it on the same key: once that one is in the inbox, both were handled)
    await h.publish(TOPICS.disbursement, settledEvents[1]);
    const reissued = { ...settledEvents[1], eventId: randomUUID() };
    await h.publish(TOPICS.disbursement, reissued);
    await eventually(async () => {
      const { rows } = await h.pool.query(
        `SELECT count(*)::int AS n FROM grants.inbox WHERE event_id = ANY($1)`,
        [[settledEvents[1].eventId, reissued.eventId]],
      );
      return rows[0].n === 2 ? true : undefined;
    });
    const { rows } = await h.pool.query<{ type: string }>(
      'SELECT type FROM grants.events WHERE stream_id = $1 ORDER BY stream_version',
      [`grant-${id}`],
    );
    expect(rows.map((r) => r.type)).toEqual([
      'GrantAwarded',
      'GrantActivated',
      'TrancheSettled',
      'TrancheSettled',
      'GrantCompleted',
    ]);
    const listed = await eventually(async () => {
      const response = await h
        .api()
        .get('/v1/grants?status=completed&asset=USDC')
        .set(auth(treasurer))
        .expect(200);
      return (response.body.items as { id: string }[]).find((g) => g.id === id);
    });
    expect(listed).toMatchObject({ status: 'completed' });
    await grantsTopic.stop();
  }, 120_000);
});
