import { expect } from 'chai';
import { UispAuthError, UispClient, UispForbiddenError, UispNotFoundError, UispUnavailableError, UispValidationError } from '../../../../../plugin/host/uisp/index.js';
import { startUispFake, type UispFake } from '../../../../support/uisp-fake/server.js';

describe('the UISP CRM API client against the contract fake', () => {
  let crm: UispFake;
  const sleeps: number[] = [];
  const client = (over: Partial<ConstructorParameters<typeof UispClient>[0]> = {}) =>
    new UispClient({ url: crm.url, appKey: crm.writeKey, appKeyType: 'write', retries: 2, retryBaseMs: 10, sleep: async (ms) => void sleeps.push(ms), ...over });

  beforeEach(async () => {
    crm = await startUispFake();
    sleeps.length = 0;
  });
  afterEach(async () => crm.close());

  it('sends the app key in X-Auth-App-Key and reads a client', async () => {
    const c = await client().get<{ id: number; firstName: string }>('clients/1000');
    expect(c).to.include({ id: 1000, firstName: 'John' });
  });

  it('pages a list with limit and offset', async () => {
    crm.clients.push({ ...crm.clients[0]!, id: 1001 }, { ...crm.clients[0]!, id: 1002 });
    const second = await client().page<{ id: number }>('clients', {}, 1, 1);
    expect(second.map((c) => c.id)).to.deep.equal([1001]);
    expect(crm.requests.at(-1)!.query.toString()).to.equal('limit=1&offset=1');
  });

  it('turns a wrong key into UispAuthError (401) and never retries it', async () => {
    const err = await client({ appKey: 'not-a-key-at-all-xxxxxxxx' }).get('clients').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UispAuthError).and.have.property('status', 401);
    expect(crm.requests).to.have.length(1);
  });

  it('refuses a write with a key configured as Read before sending it', async () => {
    const err = await client({ appKey: crm.readKey, appKeyType: 'read' }).patch('clients/services/1/suspend', {}).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UispForbiddenError);
    expect((err as Error).message).to.contain('Read key');
    expect(crm.requests).to.have.length(0);
  });

  it('turns the CRM 403 for a Read key used to write into UispForbiddenError', async () => {
    const err = await client({ appKey: crm.readKey, appKeyType: 'write' }).patch('clients/services/1/suspend', {}).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UispForbiddenError).and.have.property('status', 403);
    expect(crm.services[0]!.status).to.equal(1);
  });

  it('turns an unknown id into UispNotFoundError (404)', async () => {
    const err = await client().get('clients/999999').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UispNotFoundError).and.have.property('status', 404);
  });

  it('turns a 422 into UispValidationError with the per-field messages, and names no key in the message', async () => {
    const err = (await client().post('clients/1000/invoices', { items: [{ label: 'x', price: 1 }], colour: 'red' }).catch((e: unknown) => e)) as UispValidationError;
    expect(err).to.be.instanceOf(UispValidationError);
    expect(err.fields).to.deep.equal({ colour: ['This field was not expected.'] });
    expect(err.message).to.contain('colour').and.not.contain(crm.writeKey);
  });

  it('retries a GET answered 500 with growing waits, then succeeds', async () => {
    crm.failNext(500, 2);
    const c = await client().get<{ id: number }>('clients/1000');
    expect(c.id).to.equal(1000);
    expect(sleeps).to.deep.equal([10, 20]);
  });

  it('gives up after the configured retries with UispUnavailableError', async () => {
    crm.failNext(503, 5);
    const err = await client().get('clients/1000').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UispUnavailableError).and.have.property('retryable', true);
    expect(crm.requests).to.have.length(3);
  });

  it('does not retry a POST answered 500 (it may have been applied), but does one answered 429', async () => {
    crm.failNext(500, 1);
    const err = await client().post('clients/1000/invoices', { items: [{ label: 'x', price: 1 }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UispUnavailableError);
    expect(crm.requests).to.have.length(1);
    crm.failNext(429, 1);
    const created = await client().post<{ id: number }>('clients/1000/invoices', { items: [{ label: 'x', price: 1 }] });
    expect(created.id).to.equal(1);
    expect(crm.invoices).to.have.length(1);
  });
});
