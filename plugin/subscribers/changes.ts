/** What an update really changes: only fields whose value differs, with before and after. */
export type Changes = Record<string, { from: unknown; to: unknown }>;

export function diffFields<T extends object>(before: T, patch: Partial<T>): Changes {
  const out: Changes = {};
  for (const [key, to] of Object.entries(patch)) {
    if (to === undefined) continue;
    const from = (before as Record<string, unknown>)[key] ?? null;
    if (from !== to) out[key] = { from, to };
  }
  return out;
}

/** The patch restricted to the fields that change (what gets written). */
export function changedValues(changes: Changes): Record<string, unknown> {
  return Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v.to]));
}

export function hasChanges(changes: Changes): boolean {
  return Object.keys(changes).length > 0;
}

/** Names to show for the ids in audit actors (`user:3`, `token:7`). */
export interface ActorNames {
  staff: ReadonlyMap<number, string>;
  tokens: ReadonlyMap<number, string>;
}

/** One line of an account's history, in words: who did what, and each field old → new. */
export interface HistoryLine {
  who: string;
  what: string;
  /** `from` is null where the field was set for the first time (a creation). */
  changes: Array<{ field: string; from: string | null; to: string }>;
}

const FIELD_LABELS: Record<string, string> = {
  externalId: 'External id',
  name: 'Name',
  email: 'E-mail',
  phone: 'Phone',
  addressLine1: 'Address line 1',
  addressLine2: 'Address line 2',
  city: 'City',
  postalCode: 'Postal code',
  country: 'Country',
  taxId: 'Tax id',
  taxExempt: 'Tax exempt',
  taxExemptReason: 'Exemption reason',
  taxName: 'Tax name',
  taxPercent: 'Tax percent',
  paymentTermsDays: 'Payment terms (days)',
  billingEmail: 'Invoices to',
  currency: 'Currency',
  status: 'Status',
  login: 'Login',
  tariff: 'Tariff',
  nasName: 'Router / NAS',
  startDate: 'Start date',
  endDate: 'End date',
};

/** Details that are bookkeeping, not a field of the account or service. */
const NOT_FIELDS = new Set(['accountId', 'adoptedUsageRows', 'changes']);

function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? field.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

function shown(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(empty)';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** `user:3` → the staff member's name; `token:7` → the API token's name; others in words. */
export function actorLabel(actor: string, names: ActorNames): string {
  const [kind, ...rest] = actor.split(':');
  const id = rest.join(':');
  const n = /^\d+$/.test(id) ? Number(id) : NaN;
  switch (kind) {
    case 'user':
      return names.staff.get(n) ?? `staff member #${id} (no longer exists)`;
    case 'token':
      return names.tokens.has(n) ? `API token “${names.tokens.get(n)}”` : `API token #${id}`;
    case 'agent':
      return `agent ${id}`;
    case 'system':
      return `Octet (${id})`;
    case 'cli':
      return 'command line (octet)';
    default:
      return actor;
  }
}

function changesOf(details: Record<string, unknown> | null): HistoryLine['changes'] {
  const diff = details?.changes;
  if (diff && typeof diff === 'object') {
    return Object.entries(diff as Changes).map(([f, c]) => ({ field: fieldLabel(f), from: shown(c?.from), to: shown(c?.to) }));
  }
  return Object.entries(details ?? {})
    .filter(([f, v]) => !NOT_FIELDS.has(f) && v !== null && v !== undefined && v !== '')
    .map(([f, v]) => ({ field: fieldLabel(f), from: null, to: shown(v) }));
}

/**
 * An audit entry of an account or one of its services, in words. `serviceLogins` names the
 * account's services by id, for entries that do not carry the login themselves.
 */
export function describeHistoryEntry(
  entry: { actor: string; action: string; entityType: string; entityId: string | null; details: Record<string, unknown> | null },
  names: ActorNames,
  serviceLogins: ReadonlyMap<string, string>,
): HistoryLine {
  const d = entry.details;
  const login = (typeof d?.login === 'string' ? d.login : null) ?? (entry.entityId ? serviceLogins.get(entry.entityId) : undefined) ?? `#${entry.entityId ?? '?'}`;
  const who = actorLabel(entry.actor, names);
  const adopted = typeof d?.adoptedUsageRows === 'number' && d.adoptedUsageRows > 0 ? ` (took over ${d.adoptedUsageRows} hour(s) of unassigned usage)` : '';
  switch (entry.action) {
    case 'account.create':
      return { who, what: 'Created the account', changes: changesOf(d) };
    case 'account.update':
      return { who, what: 'Changed the account', changes: changesOf(d) };
    case 'service.create':
      return { who, what: `Added service ${login}${adopted}`, changes: changesOf(d).filter((c) => c.field !== 'Login') };
    case 'service.update': {
      const from = typeof d?.tariffFrom === 'string' ? ` (the new tariff applies from ${d.tariffFrom.replace('T', ' ').slice(0, 16)} UTC)` : '';
      return { who, what: `Changed service ${login}${adopted}${from}`, changes: changesOf(d) };
    }
    case 'service.end':
      return { who, what: `Ended service ${login}`, changes: [{ field: 'End date', from: '(empty)', to: shown(d?.endDate) }] };
    default:
      return { who, what: `${entry.action} (${entry.entityType}${entry.entityId ? ` #${entry.entityId}` : ''})`, changes: changesOf(d) };
  }
}
