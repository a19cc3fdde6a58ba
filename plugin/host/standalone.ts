import type { EnforcementServices } from '../enforcement/index.js';
import type { PaymentsServices } from '../payments/index.js';
import type { SubscribersServices } from '../subscribers/index.js';
import type {
  BlockingState,
  BlockingTarget,
  HostCharge,
  HostCustomer,
  HostListOptions,
  HostPage,
  HostPayment,
  HostPlatform,
  HostService,
  HostServiceQuery,
  PostedCharge,
  StaffIdentity,
} from './platform.js';

/**
 * The embedded default: Octet is its own host. Customers are its accounts, services its
 * services, finance its invoices and payments, blocking its enforcement's desired state; all of
 * it through those modules' ports. Nothing is owned elsewhere, so nothing is synced; staff sign
 * in to Octet's own shell, so no page request is vouched for by a host.
 */
export class StandaloneHost implements HostPlatform {
  readonly kind = 'standalone' as const;
  readonly owns = { customers: false, finance: false, blocking: false };

  constructor(
    private readonly m: {
      subscribers: Pick<SubscribersServices, 'subscribers'>;
      payments: Pick<PaymentsServices, 'list'>;
      enforcement: Pick<EnforcementServices, 'setDesired' | 'stateOf'>;
    },
  ) {}

  async listCustomers(options: HostListOptions = {}): Promise<HostPage<HostCustomer>> {
    const page = await this.m.subscribers.subscribers.listAccounts({}, options.limit ?? 100, options.cursor ?? undefined);
    return {
      items: page.items.map((a) => ({ externalId: String(a.id), name: a.name, email: a.email, phone: a.phone, status: a.status === 'active' ? 'active' : 'inactive', hostStatus: a.status })),
      nextCursor: page.nextCursor,
    };
  }

  async getCustomer(externalId: string): Promise<HostCustomer | null> {
    if (!/^\d+$/.test(externalId)) return null;
    try {
      const a = await this.m.subscribers.subscribers.getAccount(Number(externalId));
      return { externalId, name: a.name, email: a.email, phone: a.phone, status: a.status === 'active' ? 'active' : 'inactive', hostStatus: a.status };
    } catch {
      return null;
    }
  }

  async listServices(query: HostServiceQuery): Promise<HostPage<HostService>> {
    const filter = query.customerExternalId ? { accountId: Number(query.customerExternalId) } : {};
    const page = await this.m.subscribers.subscribers.listServices(filter, query.limit ?? 100, query.cursor ?? undefined);
    return {
      items: page.items.map((s) => ({
        externalId: String(s.id),
        customerExternalId: String(s.accountId),
        login: s.login,
        tariffExternalId: s.tariff,
        tariffName: s.tariff,
        startDate: s.startDate,
        endDate: s.endDate,
        status: s.status === 'ended' ? 'ended' : s.status === 'suspended' ? 'stopped' : 'active',
        hostStatus: s.status,
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** Octet's own invoices already carry every charge: nothing to post, and every key is "there". */
  async postCharges(charges: HostCharge[]): Promise<PostedCharge[]> {
    return charges.map((c) => ({ key: c.key, externalId: c.document?.key ?? c.key, duplicate: true }));
  }

  /** Newest first (the payments port's order); the cursor is an offset. */
  async readPayments(options: HostListOptions = {}): Promise<HostPage<HostPayment>> {
    const limit = options.limit ?? 100;
    const offset = options.cursor ? Number(options.cursor) : 0;
    const { rows: list } = await this.m.payments.list({}, { limit, offset });
    return {
      items: list.map((p) => ({ externalId: p.id, customerExternalId: String(p.accountId), amountMinor: p.amountMinor, currency: p.currency, date: p.receivedAt.toISOString().slice(0, 10), invoiceExternalId: null, reference: p.reference })),
      nextCursor: list.length < limit ? null : String(offset + limit),
    };
  }

  async getBlocking(target: BlockingTarget): Promise<BlockingState> {
    const ids = target.serviceExternalId ? [Number(target.serviceExternalId)] : (await this.m.subscribers.subscribers.servicesOf(Number(target.customerExternalId))).map((s) => s.id);
    const states = await this.m.enforcement.stateOf(ids);
    return [...states.values()].some((s) => s.desired === 'suspended') ? 'blocked' : 'active';
  }

  async setBlocking(target: BlockingTarget, state: BlockingState, reason: string): Promise<void> {
    const ids = target.serviceExternalId
      ? [Number(target.serviceExternalId)]
      : (await this.m.subscribers.subscribers.servicesOf(Number(target.customerExternalId))).filter((s) => s.status !== 'ended').map((s) => s.id);
    if (!ids.length) return;
    await this.m.enforcement.setDesired({ serviceIds: ids, desired: state === 'blocked' ? 'suspended' : 'active', cause: { kind: 'staff', detail: reason.slice(0, 500), actor: 'host:standalone' } });
  }

  async identifyStaff(): Promise<StaffIdentity | null> {
    return null;
  }
}
