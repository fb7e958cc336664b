import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { disbursementId, TOPICS } from '@lib/contracts';
import { auth, eventually, type Harness, testAsset, type TestGrant } from './harness';
import {
  acceptedDisbursement,
  disbursementsSuite,
  disbursementWhen,
  post,
  units,
  type Upstream,
} from './setup';

// Thresholds in whole units of the run's own 6-decimal token: 1000 needs two treasurers.
const ASSET = testAsset();

describe('disbursements over HTTP and Kafka (through the gateway)', () => {
  let h: Harness;
  let up: Upstream;
  let pool: Pool;
  let admin: string;
  let afterThis: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await afterThis?.();
    afterThis = undefined;
  });

  disbursementsSuite({ assets: [ASSET] }, async (suite) => {
    ({ h, up, pool } = suite);
    admin = await h.staffToken(`admin-${randomUUID().slice(0, 6)}`, ['admin']);
  });

  /** An active grant with verified KYC and an accepted milestone: its disbursement exists. */
  async function disbursementFor(amountUnits: number, options: { kyc?: boolean } = {}) {
    const amount = units(amountUnits);
    return acceptedDisbursement(h, { asset: ASSET, amount, kyc: options.kyc });
  }

  /** Waits until the service's row of the grant's facts has `fields` (consumed from Kafka). */
  const grantFactsWhen = (grantId: string, fields: Record<string, unknown>) =>
    eventually(async () => {
      const { rows } = await pool.query(
        `SELECT * FROM disbursements.grant_info WHERE grant_id = $1`,
        [grantId],
      );
      const row = rows[0] as Record<string, unknown> | undefined;
      return row && Object.entries(fields).every(([k, v]) => row[k] === v) ? true : undefined;
    });

  const run = async (token: string) =>
    (await post(h, '/v1/treasury/runs', token).expect(200)).body as {
      released: { id: string; attempt: number }[];
      waiting: { id: string; reason: string }[];
    };
  const reasonOf = (result: Awaited<ReturnType<typeof run>>, id: string) =>
    result.waiting.find((w) => w.id === id)?.reason;
  const approve = (id: string, token: string) =>
    post(h, `/v1/disbursements/${id}/approve`, token, { comment: 'ok' });

  it('a MilestoneAccepted makes a disbursement with amount, asset, receiver and acceptor', async () => {
    const { grant, id, acceptedBy, body } = await disbursementFor(250);
    expect(body).toMatchObject({
      id,
      grantId: grant.grantId,
      tranche: 1,
      status: 'awaiting_approval',
      asset: ASSET,
      amount: '250',
      receiver: grant.payoutAccount,
      founder: grant.founder,
      acceptedBy,
      requiredApprovals: 1,
      approvals: [],
      attempts: [],
    });
  });

  it('one approval below the threshold releases it, and DisbursementReleased goes to Kafka', async () => {
    const tail = await h.tail(TOPICS.disbursement);
    afterThis = () => tail.stop();
    const { id, grant } = await disbursementFor(999);
    const t = await h.treasurer();
    const key = `approve-${randomUUID()}`;
    const approved = await approve(id, t.token).set('idempotency-key', key).expect(200);
    expect(approved.body.status).toBe('approved');
    expect(approved.headers.etag).toBe('"2"');
    // The same request again with its key: the stored answer, and still one approval.
    const replayed = await approve(id, t.token).set('idempotency-key', key).expect(200);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toEqual(approved.body);
    const result = await run(t.token);
    expect(result.released).toContainEqual({ id, attempt: 1 });
    const row = await pool.query(
      `SELECT status, amount::text FROM disbursements.limit_reservations WHERE disbursement_id = $1`,
      [id],
    );
    expect(row.rows).toEqual([{ status: 'reserved', amount: units(999) }]);
    const published = await eventually(async () => {
      const { rows } = await pool.query(
        `SELECT type, data FROM disbursements.events WHERE stream_id = $1 AND type = 'DisbursementReleased'`,
        [`disbursement-${id}`],
      );
      return rows[0] as { data: Record<string, unknown> } | undefined;
    });
    expect(published.data).toMatchObject({
      disbursementId: id,
      attempt: 1,
      receiver: grant.payoutAccount,
      asset: ASSET,
      amount: units(999),
    });
    const onKafka = await eventually(async () =>
      tail.messages.find((m) => m.type === 'DisbursementReleased' && m.aggregateId === id),
    );
    expect(onKafka.data).toEqual({
      disbursementId: id,
      grantId: grant.grantId,
      tranche: 1,
      attempt: 1,
      receiver: grant.payoutAccount,
      asset: ASSET,
      amount: units(999),
      releasedAt: expect.any(String),
    });
    expect(tail.messages.filter((m) => m.aggregateId === id).map((m) => m.type)).toEqual([
      'DisbursementRequested',
      'DisbursementApproved',
      'DisbursementReleased',
    ]);
  });

  it('at the threshold the same treasurer twice is refused and two different ones are needed', async () => {
    const { id } = await disbursementFor(1000);
    const alice = await h.treasurer();
    const bob = await h.treasurer();
    const first = await approve(id, alice.token).expect(200);
    expect(first.body).toMatchObject({ status: 'awaiting_approval', requiredApprovals: 2 });
    const twice = await approve(id, alice.token).expect(409);
    expect(twice.headers['content-type']).toContain('application/problem+json');
    expect(twice.body.code).toBe('duplicate_approval');
    expect((await run(alice.token)).released.map((r) => r.id)).not.toContain(id);
    const second = await approve(id, bob.token).expect(200);
    expect(second.body.status).toBe('approved');
    expect(second.body.approvals.map((a: { by: string }) => a.by)).toEqual([alice.sub, bob.sub]);
    expect((await run(bob.token)).released).toContainEqual({ id, attempt: 1 });
  });

  it('the milestone acceptor and the founder get 403 even as treasurers', async () => {
    const { id, acceptedBy, grant } = await disbursementFor(10);
    const acceptor = await h.staffToken(acceptedBy, ['treasurer']);
    const founder = await h.staffToken(grant.founder, ['treasurer']);
    expect((await approve(id, acceptor).expect(403)).body.code).toBe('acceptor_cannot_approve');
    expect((await approve(id, founder).expect(403)).body.code).toBe('founder_cannot_approve');
  });

  it('a payout-account change after approval voids the approvals; the new account waits for its cool-down', async () => {
    const { id, grant } = await disbursementFor(20);
    const t = await h.treasurer();
    await approve(id, t.token).expect(200);
    const effectiveAt = new Date(Date.now() + 48 * 3600_000).toISOString();
    await up.changePayoutAccount(grant, 'new-account.test.near', effectiveAt);
    const changed = await disbursementWhen(h, id, t.token, { receiver: 'new-account.test.near' });
    expect(changed).toMatchObject({ status: 'awaiting_approval', approvals: [] });
    expect(changed.voidedApprovals.map((a: { by: string }) => a.by)).toEqual([t.sub]);
    const other = await h.treasurer();
    await approve(id, other.token).expect(200);
    expect(reasonOf(await run(t.token), id)).toBe('payout_account_cooldown');
    h.advance(49 * 3600_000);
    try {
      expect((await run(t.token)).released).toContainEqual({ id, attempt: 1 });
    } finally {
      h.advance(-49 * 3600_000);
    }
  });

  it('missing or expired KYC waits as kyc; verified KYC releases', async () => {
    const missing = await disbursementFor(5, { kyc: false });
    const t = await h.treasurer();
    await approve(missing.id, t.token).expect(200);
    expect(reasonOf(await run(t.token), missing.id)).toBe('kyc');
    await up.kyc(missing.grant.grantId, 'verified', '2020-01-01');
    await grantFactsWhen(missing.grant.grantId, { kyc_expires_at: '2020-01-01' });
    expect(reasonOf(await run(t.token), missing.id)).toBe('kyc');
    await up.kyc(missing.grant.grantId, 'verified', '2099-12-31');
    const released = await eventually(async () => {
      const result = await run(t.token);
      return result.released.some((r) => r.id === missing.id) ? true : undefined;
    });
    expect(released).toBe(true);
  });

  it('a cancelled grant cancels its unreleased disbursement, which is never released; a released one stays', async () => {
    const grant = await up.activateGrant({ asset: ASSET, amounts: [units(3), units(4)] });
    await up.kyc(grant.grantId, 'verified');
    await up.acceptMilestone(grant, 1, units(3));
    await up.acceptMilestone(grant, 2, units(4));
    const first = disbursementId(grant.grantId, 1);
    const second = disbursementId(grant.grantId, 2);
    const t = await h.treasurer();
    for (const id of [first, second]) await disbursementWhen(h, id, t.token);
    await approve(first, t.token).expect(200);
    expect((await run(t.token)).released).toContainEqual({ id: first, attempt: 1 });
    await approve(second, t.token).expect(200);
    await up.cancelGrant(grant.grantId);
    const cancelled = await disbursementWhen(h, second, t.token, { status: 'cancelled' });
    expect(cancelled.cancellation.reason).toMatch(/grant cancelled/);
    const result = await run(t.token);
    expect(result.released.map((r) => r.id)).not.toContain(second);
    expect(result.waiting.map((w) => w.id)).not.toContain(second);
    const firstNow = await h.api().get(`/v1/disbursements/${first}`).set(auth(t.token)).expect(200);
    expect(firstNow.body.status).toBe('released');
    // A released one is not cancellable by hand either.
    const refused = await post(h, `/v1/disbursements/${first}/cancel`, t.token, {
      reason: 'too late',
    }).expect(409);
    expect(refused.body.code).toBe('already_released');
  });

  it('a milestone accepted after its grant was cancelled is recorded cancelled, never released', async () => {
    const grant = await up.activateGrant({ asset: ASSET, amounts: [units(6)] });
    await up.kyc(grant.grantId, 'verified');
    await up.cancelGrant(grant.grantId);
    // The two facts come on two topics: accept only once the cancellation was consumed.
    await grantFactsWhen(grant.grantId, { status: 'cancelled' });
    await up.acceptMilestone(grant, 1, units(6));
    const id = disbursementId(grant.grantId, 1);
    const t = await h.treasurer();
    const body = await disbursementWhen(h, id, t.token);
    expect(body.status).toBe('cancelled');
    expect((await approve(id, t.token).expect(409)).body.code).toBe('disbursement_cancelled');
  });

  it('a redelivered MilestoneAccepted makes one disbursement', async () => {
    const grant = await up.activateGrant({ asset: ASSET, amounts: [units(7)] });
    const { data } = await up.acceptMilestone(grant, 1, units(7));
    // The same event twice (same event id), and the same acceptance under other event ids.
    const same = randomUUID();
    const ids = [
      await h.publish(TOPICS.milestone, 'MilestoneAccepted', grant.grantId, data, same),
      await h.publish(TOPICS.milestone, 'MilestoneAccepted', grant.grantId, data, same),
      await h.publish(TOPICS.milestone, 'MilestoneAccepted', grant.grantId, data),
      await h.publish(TOPICS.milestone, 'MilestoneAccepted', grant.grantId, data),
    ];
    const id = disbursementId(grant.grantId, 1);
    const t = await h.treasurer();
    await eventually(async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM disbursements.inbox
         WHERE consumer = 'disbursements.milestones' AND event_id = ANY($1::uuid[])`,
        [[...new Set(ids)]],
      );
      return rows[0].n === 3 ? true : undefined;
    });
    const { rows } = await pool.query(
      `SELECT type FROM disbursements.events WHERE stream_id = $1`,
      [`disbursement-${id}`],
    );
    expect(rows).toEqual([{ type: 'DisbursementRequested' }]);
    const list = await h.api().get(`/v1/disbursements?grantId=${grant.grantId}`).set(auth(t.token));
    expect(list.body.items).toHaveLength(1);
  });

  it('a MilestoneAccepted before the grant is known waits, then becomes the disbursement', async () => {
    const grant: TestGrant = {
      grantId: randomUUID(),
      founder: `early-${randomUUID().slice(0, 6)}.test.near`,
      payoutAccount: `early-${randomUUID().slice(0, 6)}.test.near`,
      asset: ASSET,
    };
    await up.acceptMilestone(grant, 1, units(8));
    const id = disbursementId(grant.grantId, 1);
    const t = await h.treasurer();
    await eventually(async () => {
      const { rows } = await pool.query(
        `SELECT 1 FROM disbursements.pending_acceptances WHERE grant_id = $1`,
        [grant.grantId],
      );
      return rows.length === 1 ? true : undefined;
    });
    await h.api().get(`/v1/disbursements/${id}`).set(auth(t.token)).expect(404);
    await up.activateGrant({ ...grant, amounts: [units(8)] });
    const body = await disbursementWhen(h, id, t.token);
    expect(body).toMatchObject({ receiver: grant.payoutAccount, amount: '8' });
  });

  it('settlement events move it: hash on submit, settled posts the reservation; a failure voids it and retry goes again', async () => {
    const { id, grant } = await disbursementFor(11);
    const t = await h.treasurer();
    await approve(id, t.token).expect(200);
    expect((await run(t.token)).released).toContainEqual({ id, attempt: 1 });
    const hash = await up.payoutSubmitted(id, 1, grant.payoutAccount, ASSET, units(11));
    await disbursementWhen(
      h,
      id,
      t.token,
      (b) => (b.txHashes as string[] | undefined)?.includes(hash) === true,
    );
    await up.payoutFailed(id, 1, 'receiver account does not exist');
    const failed = await disbursementWhen(h, id, t.token, { status: 'failed' });
    expect(failed.attempts[0]).toMatchObject({
      outcome: 'failed',
      reason: 'receiver account does not exist',
    });
    const ledger = async (attempt: number) =>
      (
        await pool.query(
          `SELECT status FROM disbursements.limit_reservations WHERE disbursement_id = $1 AND attempt = $2`,
          [id, attempt],
        )
      ).rows[0]?.status as string | undefined;
    expect(await ledger(1)).toBe('voided');
    const retried = await post(h, `/v1/disbursements/${id}/retry`, t.token).expect(200);
    expect(retried.body).toMatchObject({ status: 'approved', attempt: 2 });
    expect((await run(t.token)).released).toContainEqual({ id, attempt: 2 });
    // An outcome of the old attempt changes nothing on the disbursement.
    await up.payoutSettled(id, 1);
    const settledHash = await up.payoutSettled(id, 2);
    const settled = await disbursementWhen(h, id, t.token, { status: 'settled' });
    expect(settled.attempts.map((a: { outcome: string }) => a.outcome)).toEqual([
      'failed',
      'settled',
    ]);
    expect(settled.txHashes).toContain(settledHash);
    expect(await ledger(2)).toBe('posted');
    // Money the chain says left under attempt 1 counts against the limit after all.
    expect(await ledger(1)).toBe('posted');
  });

  it('a payout-account change while released applies once the payout fails: the retry needs new approvals', async () => {
    const { id, grant } = await disbursementFor(14);
    const t = await h.treasurer();
    await approve(id, t.token).expect(200);
    expect((await run(t.token)).released).toContainEqual({ id, attempt: 1 });
    await up.changePayoutAccount(grant, 'moved.test.near');
    await grantFactsWhen(grant.grantId, { payout_account: 'moved.test.near' });
    const inFlight = await h.api().get(`/v1/disbursements/${id}`).set(auth(t.token)).expect(200);
    expect(inFlight.body).toMatchObject({ status: 'released', receiver: grant.payoutAccount });
    await up.payoutFailed(id, 1);
    const failed = await disbursementWhen(h, id, t.token, { receiver: 'moved.test.near' });
    expect(failed).toMatchObject({ status: 'failed', approvals: [] });
    const retried = await post(h, `/v1/disbursements/${id}/retry`, t.token).expect(200);
    expect(retried.body).toMatchObject({ status: 'awaiting_approval', attempt: 2 });
    await approve(id, t.token).expect(200);
    const result = await run(t.token);
    expect(result.released).toContainEqual({ id, attempt: 2 });
  });

  it('hold makes the run wait as held; release lifts it', async () => {
    const { id } = await disbursementFor(12);
    const t = await h.treasurer();
    await approve(id, t.token).expect(200);
    const held = await post(h, `/v1/disbursements/${id}/hold`, t.token, {
      reason: 'call founder',
    }).expect(200);
    expect(held.body.status).toBe('held');
    expect(reasonOf(await run(t.token), id)).toBe('held');
    const stale = await post(h, `/v1/disbursements/${id}/release`, t.token)
      .set('if-match', '"1"')
      .expect(409);
    expect(stale.body.code).toBe('version_conflict');
    await post(h, `/v1/disbursements/${id}/release`, t.token)
      .set('if-match', held.headers.etag)
      .expect(200);
    expect((await run(t.token)).released).toContainEqual({ id, attempt: 1 });
  });

  it('pause stops the next run at once; a discrepancy pauses and needs two treasurers to resume', async () => {
    const { id } = await disbursementFor(13);
    const alice = await h.treasurer();
    const bob = await h.treasurer();
    await approve(id, alice.token).expect(200);
    const paused = await post(h, '/v1/treasury/pause', alice.token, { reason: 'incident' }).expect(
      200,
    );
    expect(paused.body).toMatchObject({
      paused: true,
      pause: { by: alice.sub, reason: 'incident', cause: 'manual' },
    });
    expect(reasonOf(await run(alice.token), id)).toBe('paused');
    await post(h, '/v1/treasury/resume', bob.token).expect(200);

    const discrepancyId = await up.discrepancy();
    const state = await eventually(async () => {
      const res = await h.api().get('/v1/treasury').set(auth(admin)).expect(200);
      return res.body.discrepancies.some(
        (d: { discrepancyId: string }) => d.discrepancyId === discrepancyId,
      )
        ? res.body
        : undefined;
    });
    expect(state).toMatchObject({
      paused: true,
      pause: { cause: 'discrepancy' },
      resume: { required: 2 },
    });
    expect(reasonOf(await run(alice.token), id)).toBe('paused');
    const once = await post(h, '/v1/treasury/resume', alice.token).expect(200);
    expect(once.body).toMatchObject({
      paused: true,
      resume: { approvals: [alice.sub], required: 2 },
    });
    expect((await post(h, '/v1/treasury/resume', alice.token).expect(409)).body.code).toBe(
      'duplicate_approval',
    );
    const twice = await post(h, '/v1/treasury/resume', bob.token).expect(200);
    expect(twice.body.paused).toBe(false);
    expect((await run(alice.token)).released).toContainEqual({ id, attempt: 1 });
  });

  it('GET /v1/treasury shows policy, limits, pending and discrepancies', async () => {
    const res = await h.api().get('/v1/treasury').set(auth(admin)).expect(200);
    expect(res.body.policy.assets).toContainEqual({
      asset: ASSET,
      dualApprovalThreshold: '1000',
      dailyLimit: '100000',
    });
    const limit = res.body.limits.find((l: { asset: string }) => l.asset === ASSET);
    expect(limit).toMatchObject({ limit: '100000', windowHours: 24 });
    expect(BigInt(limit.reserved.split('.')[0]) + BigInt(limit.used.split('.')[0])).toBeGreaterThan(
      0n,
    );
    expect(res.body.pending).toHaveProperty('awaitingApproval');
    expect(Array.isArray(res.body.discrepancies)).toBe(true);
  });

  it('lists with filters and strict cursors', async () => {
    const t = await h.treasurer();
    const page = await h
      .api()
      .get(`/v1/disbursements?asset=${ASSET}&limit=2`)
      .set(auth(t.token))
      .expect(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.items.every((i: { asset: string }) => i.asset === ASSET)).toBe(true);
    const next = await h
      .api()
      .get(`/v1/disbursements?asset=${ASSET}&limit=2&cursor=${page.body.nextCursor}`)
      .set(auth(t.token))
      .expect(200);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
    const settled = await h
      .api()
      .get(`/v1/disbursements?asset=${ASSET}&status=settled,cancelled`)
      .set(auth(t.token))
      .expect(200);
    expect(
      settled.body.items.every((i: { status: string }) =>
        ['settled', 'cancelled'].includes(i.status),
      ),
    ).toBe(true);
    for (const cursor of [
      'x',
      `${page.body.nextCursor}x`,
      Buffer.from('{"r":"2026-01-01T00:00:00.000Z","i":"no"}').toString('base64url'),
    ]) {
      const bad = await h
        .api()
        .get(`/v1/disbursements?cursor=${cursor}`)
        .set(auth(t.token))
        .expect(400);
      expect(bad.body.errors[0]).toMatchObject({ field: 'cursor', code: 'invalid_cursor' });
    }
    const unknown = await h
      .api()
      .get('/v1/disbursements?colour=red&status=nope')
      .set(auth(t.token))
      .expect(400);
    expect(unknown.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'colour',
      'status.0',
    ]);
  });
});
