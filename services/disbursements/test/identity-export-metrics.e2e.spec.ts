import { randomUUID } from 'node:crypto';
import type request from 'supertest';
import { disbursementId } from '@lib/contracts';
import { parseCsv } from '@lib/testing';
import { auth, ensureResumed, eventually, type Harness, testAsset } from './harness';
import { disbursementsSuite, disbursementWhen, post, units, type Upstream } from './setup';

// Identities as (issuer, sub), idempotency scoped per identity, the domain metrics on /metrics and
// the CSV export of the list — through the gateway on real Kafka and PostgreSQL.

const ASSET = testAsset();

/** One sample of a Prometheus text exposition: `name{a="x",b="y"} value`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** supertest body parser: the response as one string (for text/csv). */
const asText = (res: request.Response, done: (error: Error | null, body: string) => void) => {
  let text = '';
  res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  res.on('end', () => done(null, text));
};

describe('disbursements: identities, idempotency scope, metrics and CSV export', () => {
  let h: Harness;
  let up: Upstream;

  disbursementsSuite({ assets: [ASSET], limit: '5000' }, (suite) => {
    ({ h, up } = suite);
  });

  /** Disbursements of one active, KYC-verified grant with `amounts` (whole units) accepted. */
  async function grantWith(amounts: number[]) {
    const grant = await up.activateGrant({ asset: ASSET, amounts: amounts.map(units) });
    await up.kyc(grant.grantId, 'verified');
    for (const [i, amount] of amounts.entries()) {
      await up.acceptMilestone(grant, i + 1, units(amount));
    }
    const t = await h.treasurer();
    const ids = amounts.map((_, i) => disbursementId(grant.grantId, i + 1));
    for (const id of ids) await disbursementWhen(h, id, t.token);
    return { grant, ids };
  }

  const approve = (id: string, token: string) =>
    post(h, `/v1/disbursements/${id}/approve`, token, { comment: 'ok' });

  it('a founder-issuer token cannot approve or run the treasury, nor read the list; claiming treasurer it is refused', async () => {
    const { grant, ids } = await grantWith([10]);
    const founder = await h.founderToken(grant.founder);
    const approved = await approve(ids[0], founder).expect(403);
    expect(approved.headers['content-type']).toContain('application/problem+json');
    await post(h, '/v1/treasury/runs', founder).expect(403);
    await h.api().get('/v1/disbursements').set(auth(founder)).expect(403);
    // The verifier refuses a founder-issuer token claiming a staff role outright.
    const claimsTreasurer = await h.founderToken(grant.founder, ['treasurer']);
    await approve(ids[0], claimsTreasurer).expect(401);
    const t = await h.treasurer();
    const after = await h.api().get(`/v1/disbursements/${ids[0]}`).set(auth(t.token)).expect(200);
    expect(after.body).toMatchObject({ status: 'awaiting_approval', approvals: [] });
  });

  it('a staff token whose sub is the founder’s account is not the founder: no founder role, and never an approver (fail closed)', async () => {
    const { grant, ids } = await grantWith([10]);
    // A staff-issuer token's `founder` claim is dropped: it is not the founder identity.
    const claimsFounder = await h.staffToken(grant.founder, ['founder']);
    await h.api().get('/v1/disbursements').set(auth(claimsFounder)).expect(403);
    // As a treasurer it is another person, yet the decider compares accounts and refuses it.
    const treasurer = await h.staffToken(grant.founder, ['treasurer']);
    expect((await approve(ids[0], treasurer).expect(403)).body.code).toBe('founder_cannot_approve');
  });

  it('one Idempotency-Key used by two treasurers runs for each; neither gets the other’s answer', async () => {
    const { ids } = await grantWith([1000]);
    const [id] = ids;
    const alice = await h.treasurer();
    const bob = await h.treasurer();
    const key = `shared-${randomUUID()}`;
    const first = await approve(id, alice.token).set('idempotency-key', key).expect(200);
    expect(first.body).toMatchObject({ status: 'awaiting_approval', requiredApprovals: 2 });
    const second = await approve(id, bob.token).set('idempotency-key', key).expect(200);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.status).toBe('approved');
    expect(second.body.approvals.map((a: { by: string }) => a.by)).toEqual([alice.sub, bob.sub]);
    // Alice's repeat is her own stored answer.
    const again = await approve(id, alice.token).set('idempotency-key', key).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('/metrics follows the ledger (reserved → used), the transitions and the discrepancies', async () => {
    const scrape = async () => (await h.replica(0).get('/metrics').expect(200)).text;
    const limit = (text: string, kind: string) =>
      sample(text, 'treasury_limit_base_units', { asset: ASSET, kind });
    const transitions = (text: string, transition: string) =>
      sample(text, 'disbursement_transitions_total', { transition, asset: ASSET }) ?? 0;

    const t = await h.treasurer();
    // Earlier tests' approved disbursements go first, so this run releases only this one.
    await post(h, '/v1/treasury/runs', t.token).expect(200);
    const before = await scrape();
    const { ids, grant } = await grantWith([300]);
    const [id] = ids;
    await approve(id, t.token).expect(200);
    const run = await post(h, '/v1/treasury/runs', t.token).expect(200);
    expect(run.body.released).toContainEqual({ id, attempt: 1 });

    const released = await scrape();
    expect(limit(released, 'limit')).toBe(Number(units(5000)));
    const reserved = (text: string) => limit(text, 'reserved') ?? 0;
    const used = (text: string) => limit(text, 'used') ?? 0;
    expect(reserved(released) - reserved(before)).toBe(Number(units(300)));
    expect(used(released)).toBe(used(before));
    expect(sample(released, 'treasury_limit_usage_ratio', { asset: ASSET })).toBeCloseTo(
      (reserved(released) + used(released)) / Number(units(5000)),
    );
    expect(transitions(released, 'requested') - transitions(before, 'requested')).toBe(1);
    expect(transitions(released, 'approved') - transitions(before, 'approved')).toBe(1);
    expect(transitions(released, 'released') - transitions(before, 'released')).toBe(1);

    await up.payoutSubmitted(id, 1, grant.payoutAccount, ASSET, units(300));
    await up.payoutSettled(id, 1);
    const settled = await eventually(async () => {
      const text = await scrape();
      return used(text) === used(before) + Number(units(300)) ? text : undefined;
    });
    expect(reserved(settled)).toBe(reserved(before));
    expect(transitions(settled, 'settled') - transitions(before, 'settled')).toBe(1);

    const found = (text: string) =>
      sample(text, 'reconciliation_discrepancies_total', { kind: 'foreign_nonce' }) ?? 0;
    await up.discrepancy();
    const afterDiscrepancy = await eventually(async () => {
      const text = await scrape();
      return found(text) > found(settled) ? text : undefined;
    });
    expect(found(afterDiscrepancy) - found(settled)).toBe(1);
    expect(sample(afterDiscrepancy, 'reconciliation_open_discrepancies', {})).toBeGreaterThan(0);
    await ensureResumed(h);
    await h.api().get('/v1/treasury').set(auth(t.token)).expect(200);
    expect(sample(await scrape(), 'reconciliation_open_discrepancies', {})).toBe(0);
  });

  it('GET /v1/disbursements as CSV (format=csv or Accept: text/csv) is the JSON list, every row, same filters', async () => {
    const { grant, ids } = await grantWith([1, 2, 3]);
    const t = await h.treasurer();
    await approve(ids[1], t.token).expect(200);
    const json = await h
      .api()
      .get('/v1/disbursements')
      .query({ grantId: grant.grantId })
      .set(auth(t.token))
      .expect(200);
    expect(json.body.items).toHaveLength(3);

    const byFormat = await h
      .api()
      .get('/v1/disbursements')
      .query({ grantId: grant.grantId, format: 'csv', limit: 1 })
      .set(auth(t.token))
      .buffer(true)
      .parse(asText)
      .expect(200);
    expect(byFormat.headers['content-type']).toMatch(/^text\/csv/);
    expect(byFormat.headers['content-disposition']).toContain('disbursements.csv');
    const [header, ...rows] = parseCsv(byFormat.body as string);
    expect(header.slice(0, 4)).toEqual(['id', 'grantId', 'tranche', 'status']);
    type Item = Record<string, unknown> & { approvals: { by: string }[]; txHashes: string[] };
    const expected = (json.body.items as Item[]).map((item) =>
      header.map((column) => {
        if (column === 'approvedBy') return item.approvals.map((a) => a.by).join(' ');
        if (column === 'txHashes') return item.txHashes.join(' ');
        if (column === 'holdReason' || column === 'cancellationReason') return '';
        const value = item[column] as string | number | null | undefined;
        return value === null || value === undefined ? '' : String(value);
      }),
    );
    // Every row although limit=1, in the list's order.
    expect(rows).toEqual(expected);

    const byAccept = await h
      .api()
      .get('/v1/disbursements')
      .query({ grantId: grant.grantId, status: 'approved' })
      .set(auth(t.token))
      .set('accept', 'text/csv')
      .buffer(true)
      .parse(asText)
      .expect(200);
    const [, ...approvedRows] = parseCsv(byAccept.body as string);
    expect(approvedRows).toEqual(expected.filter((row) => row[0] === ids[1]));

    // A bad filter is a 400 problem before any CSV starts.
    const bad = await h
      .api()
      .get('/v1/disbursements')
      .query({ format: 'csv', cursor: 'not-a-cursor' })
      .set(auth(t.token))
      .expect(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
  });
});
