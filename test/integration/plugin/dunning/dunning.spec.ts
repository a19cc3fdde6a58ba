import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { ConflictError, ValidationError } from '../../../../plugin/common/errors.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { FRIDAY, overdueCustomer, payInFull, TOTAL } from './helpers.js';

forEachDatabase('dunning', (dialect) => {
  let plugin: TestPlugin;
  let seq = 0;
  const tag = () => `${dialect}-${++seq}`;

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock: new ManualClock(FRIDAY), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' }, dunning: { minimumOverdue: { EUR: '5' } } } });
  });
  after(async () => plugin?.close());

  const dunning = () => plugin.services.dunning.dunning;
  const desired = async (serviceId: number) => (await plugin.services.enforcement.stateOf([serviceId])).get(serviceId);
  const audit = async (action: string, accountId: number) =>
    (await plugin.ctx.models.AuditEntry.findAll({ where: { action, entityId: String(accountId) } })).map((e) => JSON.parse(String(e.get('details'))) as Record<string, unknown>);

  it('the dry run lists who would be suspended and why, and changes nothing', async () => {
    const c = await overdueCustomer(plugin, tag());
    const r = await dunning().evaluate({ dryRun: true, actor: 'cli' });
    const mine = r.decisions.find((d) => d.accountId === c.accountId)!;
    expect(mine.decision.suspend).to.equal(true);
    expect(mine.decision.reasons).to.include(`overdue 33 days (${c.invoice.number}): suspend`);
    expect(await desired(c.serviceId)).to.equal(undefined);
    expect((await plugin.services.dunning.repo.get([c.accountId])).get(c.accountId)).to.equal(undefined);
    // Clean up for the next specs: this account is paid.
    await payInFull(plugin, c.accountId);
  });

  it('suspends an overdue account once, with the cause in enforcement and the audit log, and a payment restores it at once', async () => {
    const c = await overdueCustomer(plugin, tag());
    const r = await dunning().evaluate({ dryRun: false, actor: 'system:dunning' });
    expect(r.suspended).to.include(c.accountId);
    const s = await desired(c.serviceId);
    expect(s?.desired).to.equal('suspended');
    expect(s?.cause.kind).to.equal('dunning');
    expect((await plugin.services.dunning.repo.get([c.accountId])).get(c.accountId)?.suspended).to.equal(true);
    expect((await audit('dunning.suspend', c.accountId))[0]).to.include({ overdueMinor: TOTAL.toString(), currency: 'EUR', daysPastDue: 33 });

    const again = await dunning().evaluate({ dryRun: false, actor: 'system:dunning' });
    expect(again.suspended).to.not.include(c.accountId);
    expect((await desired(c.serviceId))?.version).to.equal(s?.version);

    // A partial payment leaves it suspended; the rest restores it inside the payment's transaction.
    await payInFull(plugin, c.accountId, 5000n);
    expect((await desired(c.serviceId))?.desired).to.equal('suspended');
    await payInFull(plugin, c.accountId, TOTAL - 5000n);
    const after = await desired(c.serviceId);
    expect(after?.desired).to.equal('active');
    expect(after?.cause.kind).to.equal('payment');
    expect((await plugin.services.dunning.repo.get([c.accountId])).get(c.accountId)?.suspended).to.equal(false);
    expect(await audit('dunning.restore', c.accountId)).to.have.length(1);
  });

  it('never lifts a suspension staff set: a payment restores only what dunning suspended', async () => {
    const c = await overdueCustomer(plugin, tag());
    await plugin.services.enforcement.setDesired({ serviceIds: [c.serviceId], desired: 'suspended', cause: { kind: 'staff', detail: 'abuse report', actor: 'user:1' } });
    await dunning().evaluate({ dryRun: false, actor: 'system:dunning' });
    expect((await plugin.services.dunning.repo.get([c.accountId])).get(c.accountId)).to.include({ suspended: true }).and.to.have.property('suspendedServices').that.deep.equals([]);
    await payInFull(plugin, c.accountId);
    const s = await desired(c.serviceId);
    expect([s?.desired, s?.cause.kind, s?.cause.detail]).to.deep.equal(['suspended', 'staff', 'abuse report']);
    expect((await plugin.services.dunning.repo.get([c.accountId])).get(c.accountId)?.suspended).to.equal(false);
  });

  it('records a reminder once, as due but not sent, when SMTP is off', async () => {
    const c = await overdueCustomer(plugin, tag(), '2026-03-19'); // 1 day past due: the +1 reminder, no suspension
    expect((await dunning().evaluate({ dryRun: false, actor: 'system:dunning' })).reminders).to.deep.equal({ sent: 0, unsent: 1, failed: 0 });
    expect((await dunning().evaluate({ dryRun: false, actor: 'system:dunning' })).reminders.unsent).to.equal(0);
    const reminders = await plugin.services.dunning.repo.reminders([c.accountId]);
    expect(reminders.map((x) => [x.invoiceId, x.offsetDays, x.status, x.lastError, x.amountMinor])).to.deep.equal([[c.invoice.id, 1, 'unsent', 'SMTP is off', TOTAL]]);
    expect(await desired(c.serviceId)).to.equal(undefined);
    await payInFull(plugin, c.accountId);
  });

  it('leaves an exempt account and one with a promise alone, and refuses an exemption without a reason, storing nothing', async () => {
    const exempt = await overdueCustomer(plugin, tag());
    const promised = await overdueCustomer(plugin, tag());
    const followUp = plugin.services.dunning.followUp;
    const err = await followUp.setExemption(exempt.accountId, true, '  ', 'user:1').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).issues[0]!.field).to.equal('reason');
    expect((await plugin.services.dunning.repo.get([exempt.accountId])).get(exempt.accountId)).to.equal(undefined);
    const past = await followUp.setPromise(promised.accountId, '2026-03-19', null, 'user:1').catch((e: unknown) => e);
    expect((past as ValidationError).issues[0]).to.deep.equal({ field: 'until', message: 'must be today (2026-03-20) or later' });

    await followUp.setExemption(exempt.accountId, true, 'hospital, contract clause 7', 'user:1');
    await followUp.setPromise(promised.accountId, '2026-03-27', 'will pay after payday', 'user:1');
    await followUp.addNote(promised.accountId, 'called, spoke to the owner', 'user:1');
    const r = await dunning().evaluate({ dryRun: false, actor: 'system:dunning' });
    expect(r.suspended).to.not.include(exempt.accountId);
    expect(r.suspended).to.not.include(promised.accountId);
    const list = await followUp.list();
    const row = list.find((x) => x.accountId === promised.accountId)!;
    expect(row).to.include({ promiseUntil: '2026-03-27', promiseNote: 'will pay after payday', promiseBroken: false, suspended: false, overdueMinor: TOTAL, daysPastDue: 33 });
    expect(row.notes.map((n) => n.note)).to.deep.equal(['called, spoke to the owner']);
    expect(list.find((x) => x.accountId === exempt.accountId)).to.include({ exempt: true, exemptReason: 'hospital, contract clause 7' });
    expect(await audit('dunning.promise', promised.accountId)).to.have.length(1);

    const aging = await followUp.aging();
    const a = aging.rows.find((x) => x.accountId === exempt.accountId)!;
    expect(a.buckets['31-60']).to.equal(TOTAL);
    await payInFull(plugin, exempt.accountId);
    await payInFull(plugin, promised.accountId);
  });

  it('refuses a second evaluation while one holds the lease', async () => {
    const { LeaseRepository } = await import('../../../../plugin/jobs/index.js');
    const leases = new LeaseRepository(plugin.ctx.db);
    const held = await leases.acquire('dunning:evaluate', 'another-instance', 60_000);
    try {
      const err = await dunning().evaluate({ dryRun: false, actor: 'cli' }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConflictError);
    } finally {
      await leases.release(held!);
    }
  });
});
