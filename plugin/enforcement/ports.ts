/** What enforcement reads of other modules, passed in by the composition root (plugin/main.ts). */
export interface EnforcedService {
  id: number;
  accountId: number;
  login: string;
  nasName: string | null;
  status: string;
  startDate: string;
  endDate: string | null;
}

export interface EnforcementSubscribers {
  /** These services (unknown ids are absent). */
  services(ids: number[]): Promise<Map<number, EnforcedService>>;
  /** Every service whose nas_name is one of these routers or NASes. */
  servicesOn(devices: string[]): Promise<EnforcedService[]>;
  /** The services with exactly this login. */
  byLogin(login: string): Promise<EnforcedService[]>;
  /** The administrative status staff set on the account (active, suspended, closed); null if there is no such account. */
  accountStatus(accountId: number): Promise<string | null>;
}

/** The routers and NASes an agent reports (the network module's status reports). */
export interface AgentDevices {
  devicesOf(agentName: string): Promise<string[]>;
}
