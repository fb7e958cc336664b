import { randomBytes, randomUUID } from 'node:crypto';
import { bearer } from '@lib/testing';
import { type Harness, newGrant, startHarness } from './harness';

// Identities are (issuer, sub): the grant's founder is the founder issuer's NEAR account, never a
// staff token that happens to carry the same sub; idempotency keys are scoped per identity.

describe('milestones: identities as (issuer, sub) and idempotency per identity', () => {
  let h: Harness;
  const auth = bearer;
  const hex = () => randomBytes(3).toString('hex');
  const evidence = { summary: 'Prototype runs', evidenceUrls: ['https://example.org/report'] };

  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  /** An active grant; returns it with the founder's (founder-issuer) token. */
  async function activeGrant() {
    const grant = newGrant();
    await h.activateGrant(grant);
    return { grant, founder: await h.founderIssuerToken(grant.founder, ['founder']) };
  }

  const submit = (grantId: string, token: string) =>
    h.api().post(`/v1/grants/${grantId}/milestones/1/submissions`).set(auth(token)).send(evidence);
  const review = (grantId: string, token: string, body: object) =>
    h.api().post(`/v1/grants/${grantId}/milestones/1/review`).set(auth(token)).send(body);

  it('a staff token whose sub is the founder’s account cannot act as the founder', async () => {
    const { grant, founder } = await activeGrant();
    // Staff issuer, same sub, claiming `founder`: the claim is dropped; not the owner.
    const staffOnlyFounder = await h.staff.staff(grant.founder, ['founder']);
    const staffAdminFounder = await h.token(grant.founder, ['founder', 'admin']);
    for (const token of [staffOnlyFounder, staffAdminFounder]) {
      const answer = await submit(grant.grantId, token).expect(403);
      expect(answer.headers['content-type']).toContain('application/problem+json');
    }
    // Without a staff role it reads as a founder, and it is not this grant's founder.
    const listed = await h
      .api()
      .get(`/v1/grants/${grant.grantId}/milestones`)
      .set(auth(staffOnlyFounder))
      .expect(403);
    expect(listed.body.code).toBe('not_owner');
    // Nothing was submitted; the founder identity itself still can.
    await submit(grant.grantId, founder).expect(201);
  });

  it('a founder-issuer token cannot review (accept); claiming reviewer it is refused', async () => {
    const { grant, founder } = await activeGrant();
    await submit(grant.grantId, founder).expect(201);
    const otherFounder = await h.founderIssuerToken(`other-${hex()}.test.near`, ['founder']);
    await review(grant.grantId, founder, { decision: 'accept' }).expect(403);
    await review(grant.grantId, otherFounder, { decision: 'accept' }).expect(403);
    const claimsReviewer = await h.founderIssuerToken(`other-${hex()}.test.near`, ['reviewer']);
    await review(grant.grantId, claimsReviewer, { decision: 'accept' }).expect(401);
    const reviewer = await h.token(`rev-${hex()}`, ['reviewer']);
    const items = await h
      .api()
      .get(`/v1/grants/${grant.grantId}/milestones`)
      .set(auth(reviewer))
      .expect(200);
    expect(items.body.items[0]).toMatchObject({ number: 1, status: 'submitted', reviews: [] });
  });

  it('one Idempotency-Key used by two reviewers is not a replay of the other’s answer', async () => {
    const { grant, founder } = await activeGrant();
    await submit(grant.grantId, founder).expect(201);
    const first = await h.token(`rev-${hex()}`, ['reviewer']);
    const second = await h.token(`rev-${hex()}`, ['reviewer']);
    const key = `shared-${randomUUID()}`;
    const body = { decision: 'reject', comment: 'Add the benchmark numbers.' };
    const rejected = await review(grant.grantId, first, body).set('idempotency-key', key);
    expect(rejected.status).toBe(200);
    // The second reviewer's request runs on its own: the milestone is no longer submitted.
    const other = await review(grant.grantId, second, body).set('idempotency-key', key);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('not_submitted');
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    // The first reviewer's repeat is its own stored answer.
    const again = await review(grant.grantId, first, body).set('idempotency-key', key);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(rejected.body);
  });
});
