/**
 * Wakes the agents' streams in this process when desired states change (after the commit, so a
 * stream never reads a state that is rolled back). Streams of other plugin instances do not hear
 * it: they find the change when they re-read the versions (every `streamPollSeconds`).
 */
export class EnforcementNotifier {
  private readonly listeners = new Set<(serviceIds: number[]) => void>();

  subscribe(listener: (serviceIds: number[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(serviceIds: number[]): void {
    if (serviceIds.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(serviceIds);
      } catch {
        // A stream's failure is its own; it closes and the agent reconnects.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
