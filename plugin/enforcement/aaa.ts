import type { EnforcementState } from '../common/wire.js';

/**
 * The RADIUS authorize answer (pure), in rlm_rest's terms (FreeRADIUS 3.2): a 404 makes `rest`
 * return notfound; a 204 is ok with nothing added; a 200 with a JSON body puts its attributes
 * into the reply. Values are sent with `do_xlat: false` so FreeRADIUS never expands `%{...}` in
 * them.
 */
export type AaaAnswer =
  | { status: 404 }
  | { status: 204 }
  | { status: 200; body: Record<string, { op: ':='; value: string; do_xlat: false }> }
  /** rlm_rest: reject, and the Access-Reject carries the Reply-Message (the reason). */
  | { status: 401; body: Record<string, { op: ':='; value: string; do_xlat: false }> };

/**
 * `refusal` is what staff set (a service or account suspended or closed by hand, not by billing):
 * the login is refused with that reason, whatever the desired state says. Billing's suspension
 * lands the subscriber in the walled garden instead, where they can pay.
 */
export function aaaAnswer(state: { desired: EnforcementState; rate: string | null; refusal?: string | null } | null, opts: { suspendedAddressList: string }): AaaAnswer {
  if (!state) return { status: 404 };
  const attr = (value: string) => ({ op: ':=' as const, value, do_xlat: false as const });
  if (state.refusal) return { status: 401, body: { 'reply:Reply-Message': attr(state.refusal) } };
  if (state.desired === 'suspended') return { status: 200, body: { 'reply:Mikrotik-Address-List': attr(opts.suspendedAddressList) } };
  if (state.desired === 'throttled' && state.rate) return { status: 200, body: { 'reply:Mikrotik-Rate-Limit': attr(state.rate) } };
  return { status: 204 };
}

/**
 * The login of an authorize request: rlm_rest's `body = json` shape
 * (`{"User-Name":{"type":"string","value":["bob"]}}`), or `{"login":"bob"}`.
 */
export function loginOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  if (typeof b.login === 'string') return b.login || null;
  const un = b['User-Name'] as { value?: unknown } | undefined;
  const v = Array.isArray(un?.value) ? un.value[0] : un?.value;
  return typeof v === 'string' && v !== '' && v.length <= 253 ? v : null;
}
