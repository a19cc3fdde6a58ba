import type { Response, Router } from 'express';
import type { AuditRepository } from '../../audit/index.js';
import type { ApiTokenInfo, StaffUser } from '../../auth/index.js';
import { formatBytes } from '../../common/bytes.js';
import { requireRole } from '../../web/guards.js';
import { DateTime } from 'luxon';
import type { Account, AccountFilter } from '../accounts.repository.js';
import { describeHistoryEntry } from '../changes.js';
import { parseLimit } from '../cursor.js';
import { acceptsNewServices, type SubscribersService } from '../subscribers.service.js';
import type { UsageBinding } from '../usage-binding.js';
import { ACCOUNT_FIELDS, ACCOUNT_STATUSES, SERVICE_FIELDS } from '../validation.js';
import { accountFormValues, actorOf, canWrite, formBody, formErrorsOf, idOf, NO_ERRORS, serviceFormValues, type FormErrors } from './forms.js';

export interface AccountPagesDeps {
  subscribers: SubscribersService;
  usage: UsageBinding;
  audit: AuditRepository;
  /** For the names of who changed what (staff are tens, tokens a handful: read whole). */
  staff: { list(): Promise<StaffUser[]> };
  tokens: { list(): Promise<ApiTokenInfo[]> };
  /** The ISP's time zone, for the tariff history's instants. */
  timezone: string;
}

/** How many audit entries the account page shows (its own and its services', newest first). */
const HISTORY_ROWS = 30;

const SERVICE_FORM_FIELDS = ['login', 'tariff', 'nasName', 'startDate', 'status', 'tariffFrom'] as const;

/** An instant as staff read it: in the ISP's zone, with the zone named. */
function localInstant(ms: number, timezone: string): string {
  return DateTime.fromMillis(ms, { zone: timezone }).toFormat('yyyy-MM-dd HH:mm ZZZZ');
}

/** The account's tax as one phrase: exempt and why, or the rate (the plugin's default when unset). */
function taxPhrase(a: Account): string {
  if (a.taxExempt) return `exempt: ${a.taxExemptReason ?? '(no reason given: add one)'}`;
  if (a.taxName === null && a.taxPercent === null) return 'the default rate';
  return [a.taxName ?? 'tax', a.taxPercent === null ? 'at the default rate' : `${a.taxPercent}%`].join(' ');
}

function renderAccountForm(res: Response, model: { accountId: number | null; values: Record<string, string>; errors: FormErrors }, status = 200): void {
  res.status(status).render('accounts/form', {
    title: model.accountId ? 'Edit account' : 'New account',
    statuses: ACCOUNT_STATUSES,
    ...model,
  });
}

function renderServiceForm(
  res: Response,
  model: { accountId: number; accountName: string; serviceId: number | null; values: Record<string, string>; errors: FormErrors; tariffHistory?: Array<{ code: string; from: string }> },
  status = 200,
): void {
  res.status(status).render('services/form', { title: model.serviceId ? 'Edit service' : 'New service', tariffHistory: [], ...model });
}

export function accountPages(router: Router, deps: AccountPagesDeps): void {
  const { subscribers } = deps;
  const billing = requireRole('billing');

  router.get('/accounts', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    const status = typeof req.query.status === 'string' && (ACCOUNT_STATUSES as readonly string[]).includes(req.query.status) ? req.query.status : '';
    const cursor = typeof req.query.cursor === 'string' && req.query.cursor ? req.query.cursor : undefined;
    const filter: AccountFilter = { q: q || undefined, status: (status || undefined) as AccountFilter['status'] };
    const page = await subscribers.listAccounts(filter, parseLimit(undefined), cursor);
    const next = page.nextCursor ? `/accounts?${new URLSearchParams({ ...(q ? { q } : {}), ...(status ? { status } : {}), cursor: page.nextCursor })}` : null;
    res.render('accounts/list', {
      title: 'Accounts',
      q,
      status,
      statuses: ACCOUNT_STATUSES,
      canWrite: canWrite(res),
      firstPage: !cursor,
      firstHref: `/accounts?${new URLSearchParams({ ...(q ? { q } : {}), ...(status ? { status } : {}) })}`,
      next,
      rows: page.items.map((a) => ({ id: a.id, name: a.name, externalId: a.externalId ?? '', email: a.email ?? '', city: a.city ?? '', status: a.status })),
    });
  });

  router.get('/accounts/new', billing, (_req, res) => {
    renderAccountForm(res, { accountId: null, values: { currency: '', status: 'active' }, errors: NO_ERRORS });
  });

  router.post('/accounts', billing, async (req, res) => {
    const input = formBody(req, ACCOUNT_FIELDS, ['taxExempt']);
    try {
      const a = await subscribers.createAccount(input, actorOf(res));
      res.redirect(303, `/accounts/${a.id}`);
    } catch (err) {
      renderAccountForm(res, { accountId: null, values: accountFormValues(input), errors: formErrorsOf(err, ACCOUNT_FIELDS) }, 422);
    }
  });

  router.get('/accounts/:id', async (req, res) => {
    const account = await subscribers.getAccount(idOf(req));
    const services = await subscribers.servicesOf(account.id);
    const usage = deps.usage.accountUsage ? await deps.usage.accountUsage(account.id, [...new Set(services.map((s) => s.login))]) : null;
    const usageOf = new Map(usage?.perService.map((u) => [u.serviceId, u]) ?? []);
    // The account's own entries and those of its services, newest first, in one query.
    const history = await deps.audit.listForEntities(
      [
        { entityType: 'account', entityIds: [account.id] },
        { entityType: 'service', entityIds: services.map((sv) => sv.id) },
      ],
      HISTORY_ROWS,
    );
    const [staff, tokens] = history.length ? await Promise.all([deps.staff.list(), deps.tokens.list()]) : [[], []];
    const names = { staff: new Map(staff.map((u) => [u.id, u.name])), tokens: new Map(tokens.map((t) => [t.id, t.name])) };
    const serviceLogins = new Map(services.map((sv) => [String(sv.id), sv.login]));
    res.render('accounts/show', {
      title: account.name,
      canWrite: canWrite(res),
      canAddService: canWrite(res) && acceptsNewServices(account),
      account: {
        ...accountFormValues(account),
        id: account.id,
        taxExempt: account.taxExempt ? 'yes' : 'no',
        tax: taxPhrase(account),
        paymentTerms: account.paymentTermsDays === null ? 'the default' : `${account.paymentTermsDays} days`,
        invoicesTo: account.billingEmail ?? account.email ?? '(no e-mail)',
        address: [account.addressLine1, account.addressLine2, [account.postalCode, account.city].filter(Boolean).join(' '), account.country].filter(Boolean).join(', '),
      },
      services: services.map((s) => {
        const u = usageOf.get(s.id);
        return {
          id: s.id,
          login: s.login,
          tariff: s.tariff ?? '',
          nasName: s.nasName ?? '',
          status: s.status,
          startDate: s.startDate,
          endDate: s.endDate ?? '',
          live: s.status !== 'ended',
          download: u ? formatBytes(u.download) : '',
          upload: u ? formatBytes(u.upload) : '',
        };
      }),
      usageAvailable: usage !== null,
      usagePeriod: usage?.period.label ?? '',
      sessions: (usage?.liveSessions ?? []).map((s) => ({
        login: s.login,
        sourceName: s.sourceName,
        since: s.sessionStart ? s.sessionStart.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '',
        lastSeen: s.lastObservedAt.toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
        download: formatBytes(s.download),
        upload: formatBytes(s.upload),
        framedIp: s.framedIp ?? '',
      })),
      history: history.map((h) => ({
        at: h.at.toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
        ...describeHistoryEntry(h, names, serviceLogins),
      })),
      newService: { values: { status: 'active' }, errors: NO_ERRORS },
    });
  });

  router.get('/accounts/:id/edit', billing, async (req, res) => {
    const a = await subscribers.getAccount(idOf(req));
    renderAccountForm(res, { accountId: a.id, values: accountFormValues(a), errors: NO_ERRORS });
  });

  router.post('/accounts/:id', billing, async (req, res) => {
    const id = idOf(req);
    const input = formBody(req, ACCOUNT_FIELDS, ['taxExempt']);
    try {
      await subscribers.updateAccount(id, input, actorOf(res));
      res.redirect(303, `/accounts/${id}`);
    } catch (err) {
      renderAccountForm(res, { accountId: id, values: accountFormValues(input), errors: formErrorsOf(err, ACCOUNT_FIELDS) }, 422);
    }
  });

  router.get('/accounts/:id/services/new', billing, async (req, res) => {
    const a = await subscribers.getAccount(idOf(req));
    renderServiceForm(res, { accountId: a.id, accountName: a.name, serviceId: null, values: { status: 'active', startDate: subscribers.today() }, errors: NO_ERRORS });
  });

  router.post('/accounts/:id/services', billing, async (req, res) => {
    const a = await subscribers.getAccount(idOf(req));
    const input = formBody(req, SERVICE_FORM_FIELDS);
    try {
      await subscribers.createService(a.id, input, actorOf(res));
      res.redirect(303, `/accounts/${a.id}`);
    } catch (err) {
      renderServiceForm(res, { accountId: a.id, accountName: a.name, serviceId: null, values: serviceFormValues(input), errors: formErrorsOf(err, SERVICE_FIELDS) }, 422);
    }
  });

  const historyOf = async (serviceId: number) =>
    (await subscribers.tariffHistory(serviceId)).map((h) => ({ code: h.code, from: localInstant(h.fromMs, deps.timezone) }));

  router.get('/services/:id/edit', billing, async (req, res) => {
    const s = await subscribers.getService(idOf(req));
    const a = await subscribers.getAccount(s.accountId);
    renderServiceForm(res, { accountId: a.id, accountName: a.name, serviceId: s.id, values: serviceFormValues(s), errors: NO_ERRORS, tariffHistory: await historyOf(s.id) });
  });

  router.post('/services/:id', billing, async (req, res) => {
    const s = await subscribers.getService(idOf(req));
    const a = await subscribers.getAccount(s.accountId);
    const input = formBody(req, SERVICE_FORM_FIELDS);
    try {
      await subscribers.updateService(s.id, input, actorOf(res));
      res.redirect(303, `/accounts/${a.id}`);
    } catch (err) {
      const errors = formErrorsOf(err, SERVICE_FIELDS);
      renderServiceForm(res, { accountId: a.id, accountName: a.name, serviceId: s.id, values: serviceFormValues(input), errors, tariffHistory: await historyOf(s.id) }, 422);
    }
  });

  router.post('/services/:id/end', billing, async (req, res) => {
    const s = await subscribers.getService(idOf(req));
    const input = formBody(req, ['endDate']);
    try {
      await subscribers.endService(s.id, input, actorOf(res));
      res.redirect(303, `/accounts/${s.accountId}`);
    } catch (err) {
      const a = await subscribers.getAccount(s.accountId);
      const errors = formErrorsOf(err, ['endDate']);
      renderServiceForm(res, { accountId: a.id, accountName: a.name, serviceId: s.id, values: serviceFormValues(s), errors: { fields: {}, general: [...Object.values(errors.fields).map((m) => `End date ${m}`), ...errors.general] } }, 422);
    }
  });
}
