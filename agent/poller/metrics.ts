import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface PollerMetrics {
  duration: Histogram<'router' | 'outcome'>;
  errors: Counter<'router' | 'reason'>;
  up: Gauge<'router'>;
  sessions: Gauge<'router'>;
  lastSuccess: Gauge<'router'>;
}

/** Poll durations and errors per router (issue 4), registered once per registry. */
export function registerPollerMetrics(registry: Registry): PollerMetrics {
  const reuse = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  return {
    duration: reuse(
      'octet_agent_poll_duration_seconds',
      () =>
        new Histogram({
          name: 'octet_agent_poll_duration_seconds',
          help: 'Time to poll one router (connect if needed, read sessions, record them)',
          labelNames: ['router', 'outcome'],
          buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
          registers,
        }),
    ),
    errors: reuse(
      'octet_agent_poll_errors_total',
      () =>
        new Counter({
          name: 'octet_agent_poll_errors_total',
          help: 'Failed polls per router and reason (connect, login, timeout, tls, trap, protocol, sink, other)',
          labelNames: ['router', 'reason'],
          registers,
        }),
    ),
    up: reuse(
      'octet_agent_router_up',
      () => new Gauge({ name: 'octet_agent_router_up', help: '1 if the last poll of the router succeeded', labelNames: ['router'], registers }),
    ),
    sessions: reuse(
      'octet_agent_router_sessions',
      () => new Gauge({ name: 'octet_agent_router_sessions', help: 'Sessions seen on the router at the last poll', labelNames: ['router'], registers }),
    ),
    lastSuccess: reuse(
      'octet_agent_router_last_success_timestamp_seconds',
      () =>
        new Gauge({
          name: 'octet_agent_router_last_success_timestamp_seconds',
          help: 'Unix time of the last successful poll of the router',
          labelNames: ['router'],
          registers,
        }),
    ),
  };
}
