/**
 * How far each source of usage is complete: the seam between the module that hears from agents
 * (their status reports) and the billing read port, which must know whether a period is final.
 *
 * A source is one router the agent polls or one NAS that sends it RADIUS accounting.
 * `completeThrough` is the instant up to which every observation of that source has reached the
 * plugin: for a polled router, the last successful poll whose records the agent has shipped and
 * the plugin acknowledged; for a NAS, the newest instant through which the agent has shipped
 * everything it received from it. Null when nothing is known yet.
 */
export interface SourceCompleteness {
  agentName: string;
  source: 'radius' | 'poll';
  sourceName: string;
  completeThrough: Date | null;
}

export interface CompletenessProvider {
  sources(): Promise<SourceCompleteness[]>;
}
