import { randomBytes } from 'node:crypto';
import { bearer, parseCsv } from '@lib/testing';
import { eventually, type Harness, startHarness } from './harness';

const asObjects = (records: string[][]) =>
  records.slice(1).map((r) => Object.fromEntries(records[0].map((h, i) => [h, r[i]])));

describe('CSV export of the applications queue (GET /v1/applications?format=csv)', () => {
  let h: Harness;
  let admin: string;
  let founder: { accountId: string; token: string };
  const reviewer = `rev-csv-${randomBytes(4).toString('hex')}`;
  const ids: string[] = [];
  const titles = ['Plain title', 'Comma, "quotes", and more', '=HYPERLINK("http://evil")'];
  const auth = bearer;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.staffToken(`admin-${randomBytes(3).toString('hex')}`, ['admin']);
    founder = await h.signInFounder();
    for (const title of titles)
      ids.push(await h.underReview(founder, admin, [reviewer], { title }));
    await eventually(async () => {
      const response = await h
        .api()
        .get(`/v1/applications?reviewer=${reviewer}&status=under_review`)
        .set(auth(admin))
        .expect(200);
      return (response.body.items as unknown[]).length === titles.length ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('streams the same rows as the JSON list, with the same filters, in a CSV a parser opens', async () => {
    const query = `reviewer=${reviewer}&status=under_review`;
    const json = await h.api().get(`/v1/applications?${query}`).set(auth(admin)).expect(200);
    const csv = await h
      .api()
      .get(`/v1/applications?${query}&format=csv`)
      .set(auth(admin))
      .expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="applications.csv"');

    const records = parseCsv(csv.text);
    expect(records[0]).toEqual([
      'id',
      'status',
      'title',
      'category',
      'owner',
      'requested_asset',
      'requested_amount',
      'version',
      'created_at',
      'submitted_at',
      'updated_at',
      'reviewers',
      'review_count',
    ]);
    const rows = asObjects(records);
    const items = json.body.items as {
      id: string;
      title: string;
      status: string;
      requestedFunding: { asset: string; amount: string };
      createdAt: string;
    }[];
    expect(rows.map((r) => r.id)).toEqual(items.map((i) => i.id));
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
    for (const [index, item] of items.entries()) {
      expect(rows[index]).toMatchObject({
        status: 'under_review',
        requested_asset: item.requestedFunding.asset,
        requested_amount: item.requestedFunding.amount,
        created_at: item.createdAt,
        reviewers: reviewer,
        review_count: '0',
      });
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids[0])?.title).toBe(titles[0]);
    expect(byId.get(ids[1])?.title).toBe(titles[1]);
    // A spreadsheet would run this as a formula; the export keeps it text.
    expect(byId.get(ids[2])?.title).toBe(`'${titles[2]}`);
  });

  it('answers Accept: text/csv the same way, and ?format=json keeps JSON', async () => {
    const query = `reviewer=${reviewer}`;
    const viaAccept = await h
      .api()
      .get(`/v1/applications?${query}`)
      .set({ ...auth(admin), accept: 'text/csv' })
      .expect(200);
    expect(viaAccept.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(parseCsv(viaAccept.text)).toHaveLength(titles.length + 1);
    const json = await h
      .api()
      .get(`/v1/applications?${query}&format=json`)
      .set({ ...auth(admin), accept: 'text/csv' })
      .expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
  });

  it('exports every matching row, not one page: the page limit does not apply', async () => {
    const csv = await h
      .api()
      .get(`/v1/applications?reviewer=${reviewer}&limit=1&format=csv`)
      .set(auth(admin))
      .expect(200);
    expect(parseCsv(csv.text)).toHaveLength(titles.length + 1);
  });

  it('gives a founder only their own rows, without the staff-only columns', async () => {
    const csv = await h
      .api()
      .get('/v1/applications?format=csv')
      .set(auth(founder.token))
      .expect(200);
    const records = parseCsv(csv.text);
    expect(records[0]).not.toContain('reviewers');
    const rows = asObjects(records);
    expect(new Set(rows.map((r) => r.owner)).size).toBe(1);
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
  });

  it('refuses a bad format or filter with 400 problem+json before streaming anything', async () => {
    const bad = await h.api().get('/v1/applications?format=xlsx').set(auth(admin)).expect(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body.errors[0].field).toBe('format');
    await h.api().get('/v1/applications?format=csv&status=nope').set(auth(admin)).expect(400);
    const cursor = await h
      .api()
      .get('/v1/applications?format=csv&cursor=not-a-cursor')
      .set(auth(admin))
      .expect(400);
    expect(cursor.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
