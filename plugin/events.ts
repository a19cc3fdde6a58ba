/** The notifications modules send each other (producer -> listeners), by name. */
export type PluginEventName = 'observations.accepted';

/**
 * Notifications between modules, made once per context by the composition root: the module that
 * produces an event emits it without knowing who listens (ingest does not import usage). A
 * listener that throws never fails the producer.
 */
export class PluginEvents {
  private readonly listeners = new Map<PluginEventName, Set<() => void>>();

  on(name: PluginEventName, listener: () => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit(name: PluginEventName): void {
    for (const l of this.listeners.get(name) ?? []) {
      try {
        l();
      } catch {
        // A listener's failure is its own (the rollup logs and retries on its schedule).
      }
    }
  }
}
