/** The notifications modules send each other (producer -> listeners), by name. */
export type PluginEventName = 'observations.accepted' | 'invoices.issued';

/** The payload of each event (none for most). */
export interface PluginEventPayloads {
  'observations.accepted': undefined;
  /** Sent after the issuing transaction committed: the accounts that got new documents. */
  'invoices.issued': { accountIds: number[] };
}

/**
 * Notifications between modules, made once per context by the composition root: the module that
 * produces an event emits it without knowing who listens (ingest does not import usage). A
 * listener that throws never fails the producer.
 */
export class PluginEvents {
  private readonly listeners = new Map<PluginEventName, Set<(payload: never) => void>>();

  on<N extends PluginEventName>(name: N, listener: (payload: PluginEventPayloads[N]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<N extends PluginEventName>(name: N, ...payload: PluginEventPayloads[N] extends undefined ? [] : [PluginEventPayloads[N]]): void {
    for (const l of this.listeners.get(name) ?? []) {
      try {
        (l as (p: unknown) => void)(payload[0]);
      } catch {
        // A listener's failure is its own (the rollup logs and retries on its schedule).
      }
    }
  }
}
