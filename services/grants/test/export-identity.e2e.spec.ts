import { randomBytes, randomUUID } from 'node:crypto';
import { disbursementId, TOPICS } from '@lib/contracts';
import { parseCsv } from '@lib/testing';
import { auth, envelopeOf, eventually, type Harness, startHarness, txHash } from './harness';

const HEADER = [
  'id',
  'title',
  'founder',
  'status',
  'asset',
  'amount',
  'payout_account',
  'kyc_status',
  'tranches_settled',
  'tranches_total',
  'version',
  'awarded_at',
  'updated_at',
];

interface ListItem {
  id: string;
  title: string;
  founder: string;
  status: string;
  asset: string;
  amount: string;
  payoutAccount: string;
  kycStatus: string | null;
  tranchesSettled: number;
  trancheCount: number;
  version: number;
  awardedAt: string;
  updatedAt: string;
}

/** A JSON list item as the CSV spells it (numbers as digits, null as an empty cell). */
const asCells = (item: ListItem): string[] => [
  item.id,
  item.title,
  item.founder,
  item.status,
  item.asset,
  item.amount,
  item.payoutAccount,
  item.kycStatus ?? '',
  String(item.tranchesSettled),
  String(item.trancheCount),
  String(item.version),
  item.awardedAt,
  item.updatedAt,
];

describe('GET /v1/grants as CSV, and identities as (issuer, sub)', () => {
  let h: Harness;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.staffToken(`admin-${randomBytes(3).toString('hex')}`, ['admin']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const csvOf = async (token: string, query: string, accept?: string) => {
    let call = h.api().get(`/v1/grants${query}`).set(auth(token));
    if (accept) call = call.set('accept', accept);
    const response = await call.expect(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="grants.csv"');
    const [header, ...rows] = parseCsv(response.text);
    expect(header).toEqual(HEADER);
    return rows;
  };

  const jsonOf = async (token: string, query: string): Promise<ListItem[]> => {
    const response = await h.api().get(`/v1/grants${query}`).set(auth(token)).expect(200);
    expect(response.headers['content-type']).toContain('application/json');
    return response.body.items as ListItem[];
  };

  it('a founder exports their own grants only: the CSV is the JSON list, row for row', async () => {
    const founder = await h.signInFounder();
    const first = await h.activeGrant(founder);
    const second = await h.awardedGrant(founder);
    const other = await h.awardedGrant();
    // one tranche of the active grant settles: the list and the export count it
    await h.publish(
      TOPICS.disbursement,
      envelopeOf('DisbursementSettled', disbursementId(first.id, 1), {
        disbursementId: disbursementId(first.id, 1),
        grantId: first.id,
        tranche: 1,
        attempt: 1,
        txHash: txHash(),
        settledAt: new Date().toISOString(),
      }),
    );
    const items = await eventually(async () => {
      const list = await jsonOf(founder.token, '');
      return list.find((i) => i.id === first.id)?.tranchesSettled === 1 ? list : undefined;
    });
    expect(items.map((i) => i.id)).toEqual([second.id, first.id]);

    const byAccept = await csvOf(founder.token, '', 'text/csv');
    expect(byAccept).toEqual(items.map(asCells));
    const byFormat = await csvOf(founder.token, '?format=csv');
    expect(byFormat).toEqual(items.map(asCells));
    const row = byFormat.find((r) => r[0] === first.id)!;
    expect([row[2], row[3], row[5], row[6], row[8], row[9]]).toEqual([
      founder.accountId,
      'active',
      '45000',
      first.payout.accountId,
      '1',
      '2',
    ]);
    expect(byFormat.map((r) => r[0])).not.toContain(other.id);
    // the same filters as the JSON list; asking for another founder changes nothing
    const active = await csvOf(founder.token, '?format=csv&status=active');
    expect(active).toEqual((await jsonOf(founder.token, '?status=active')).map(asCells));
    expect(active.map((r) => r[0])).toEqual([first.id]);
    // ?format=json wins over Accept
    const json = await h
      .api()
      .get('/v1/grants?format=json')
      .set(auth(founder.token))
      .set('accept', 'text/csv')
      .expect(200);
    expect(json.body.items.map((i: ListItem) => i.id)).toEqual([second.id, first.id]);
  }, 120_000);

  it('staff export every grant: the rows of the JSON list, in the same order', async () => {
    const a = await h.activeGrant();
    const b = await h.awardedGrant();
    const ours = new Set([a.id, b.id]);
    const reviewer = await h.staffToken(`rev-${randomBytes(3).toString('hex')}`, ['reviewer']);
    // other tests add grants meanwhile: compare the rows of our grants, found on the same filters
    const rows = (await csvOf(reviewer, '?format=csv&status=active,awarded')).filter((r) =>
      ours.has(r[0]),
    );
    const items: ListItem[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?status=active,awarded&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await h.api().get(`/v1/grants${query}`).set(auth(reviewer)).expect(200);
      items.push(...(page.body.items as ListItem[]).filter((i) => ours.has(i.id)));
      cursor = items.length < ours.size ? (page.body.nextCursor as string | null) : null;
    } while (cursor);
    expect(items.map((i) => i.id)).toEqual([b.id, a.id]);
    expect(rows).toEqual(items.map(asCells));
    const cancelledOnly = await csvOf(reviewer, '?format=csv&status=cancelled');
    expect(cancelledOnly.every((r) => r[3] === 'cancelled')).toBe(true);
    expect(cancelledOnly.map((r) => r[0])).not.toContain(a.id);
  }, 120_000);

  it('a bad query or a tampered cursor is a 400 problem before any CSV is written', async () => {
    for (const query of ['?format=xml', '?format=csv&status=nope', '?format=csv&cursor=abc']) {
      const response = await h.api().get(`/v1/grants${query}`).set(auth(admin)).expect(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('a staff token with the founder’s sub is not the founder, even as admin', async () => {
    const { founder, id, payout } = await h.awardedGrant();
    const lookalike = await h.staffToken(founder.accountId, ['admin']);
    // staff read as staff; founder routes refuse it; the CSV has no founder filter for it
    await h.api().get(`/v1/grants/${id}`).set(auth(lookalike)).expect(200);
    const refused = await h
      .api()
      .post(`/v1/grants/${id}/acceptance-challenge`)
      .set(auth(lookalike))
      .send({});
    expect(refused.status).toBe(403);
    // the founder requests a change; the admin spelled like them may not approve it (separation
    // of duties errs on the side of refusing)
    const next = h.nearAccount('next');
    const issued = await h
      .api()
      .post(`/v1/grants/${id}/payout-account-challenge`)
      .set(auth(founder.token))
      .send({ accountId: next.accountId })
      .expect(200);
    await h
      .api()
      .post(`/v1/grants/${id}/payout-account`)
      .set(auth(founder.token))
      .send(await h.sign(next, issued.body))
      .expect(200);
    const approval = await h
      .api()
      .post(`/v1/grants/${id}/payout-account/approve`)
      .set(auth(lookalike))
      .send({ payoutAccount: next.accountId });
    expect(approval.status).toBe(403);
    expect(approval.body.code).toBe('founder_cannot_approve');
    await h
      .api()
      .post(`/v1/grants/${id}/payout-account/approve`)
      .set(auth(admin))
      .send({ payoutAccount: next.accountId })
      .expect(200);
    const after = await h.api().get(`/v1/grants/${id}`).set(auth(founder.token)).expect(200);
    expect(after.body.pendingPayoutAccountChange).toMatchObject({ account: next.accountId });
    expect(after.body.payoutAccount).toBe(payout.accountId);
  }, 120_000);

  it('one Idempotency-Key used by two identities never replays the other’s answer', async () => {
    const { founder, id } = await h.awardedGrant();
    const key = randomUUID();
    const body = { status: 'verified', expiresAt: '2031-01-31' };
    const adminA = await h.staffToken(`admin-a-${randomBytes(3).toString('hex')}`, ['admin']);
    const adminB = await h.staffToken(`admin-b-${randomBytes(3).toString('hex')}`, ['admin']);
    /** The same key on `route` of this grant, as `token`. */
    const withKey = (token: string, route: 'kyc' | 'acceptance-challenge', sent: object) =>
      h
        .api()
        .post(`/v1/grants/${id}/${route}`)
        .set(auth(token))
        .set('idempotency-key', key)
        .send(sent);
    const first = await withKey(adminA, 'kyc', body).expect(200);
    // the same caller again: the stored answer
    const replay = await withKey(adminA, 'kyc', body).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.version).toBe(first.body.version);
    // another admin with the same key runs afresh (a new event, recorded as theirs)
    const second = await withKey(adminB, 'kyc', body).expect(200);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.version).toBe(first.body.version + 1);
    // the founder (and a staff token spelled like the founder) with the key get their own answer
    const asFounder = await withKey(founder.token, 'kyc', body);
    expect(asFounder.status).toBe(403);
    expect(asFounder.headers['idempotent-replayed']).toBeUndefined();

    const challenge = await withKey(founder.token, 'acceptance-challenge', {}).expect(200);
    const lookalike = await h.staffToken(founder.accountId, ['admin']);
    const other = await h.signInFounder();
    for (const [token, status] of [
      [lookalike, 403],
      [other.token, 404],
    ] as const) {
      const response = await withKey(token, 'acceptance-challenge', {});
      expect(response.status).toBe(status);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      expect(JSON.stringify(response.body)).not.toContain(challenge.body.nonce);
    }
    const again = await withKey(founder.token, 'acceptance-challenge', {}).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.nonce).toBe(challenge.body.nonce);
  }, 120_000);
});
