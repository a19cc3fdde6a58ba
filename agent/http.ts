import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorMessage } from '../plugin/common/errors.js';
import type { Logger } from '../plugin/common/logger.js';
import { enforcerProblems, type EnforcerHealth } from './enforcer/index.js';
import type { RouterStatus } from './poller/index.js';

export interface HealthInputs {
  spool: { depth: number; bytes: number; maxBytes: number; lagMs: number; failed?: string | null };
  shipper: { lastAckAt: string | null; lastError: string | null; consecutiveFailures: number };
  routers: RouterStatus[];
  radius: { enabled: boolean; openSessions: number } | null;
  /** Absent or null when the agent does not enforce. */
  enforcer?: EnforcerHealth | null;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  problems: string[];
  spool: { depthRecords: number; bytes: number; maxBytes: number; usedPercent: number; failed: string | null };
  shipping: { lagSeconds: number; lastAckAt: string | null; lastError: string | null; consecutiveFailures: number };
  routers: RouterStatus[];
  radius: { openSessions: number } | null;
  enforcer: EnforcerHealth | null;
}

/** Shipping lag past this is worth a look (a plugin outage); the spool absorbs it meanwhile. */
const LAG_DEGRADED_MS = 10 * 60_000;

/** Pure: what /healthz says, from the parts' own status. */
export function assessHealth(i: HealthInputs): HealthReport {
  const usedPercent = Math.round((i.spool.bytes / i.spool.maxBytes) * 1000) / 10;
  const problems: string[] = [];
  if (i.spool.failed) problems.push(`spool failed: ${i.spool.failed}; refusing records (NASes retry; check the disk)`);
  if (usedPercent >= 80) problems.push(`spool ${usedPercent}% full`);
  if (i.spool.lagMs > LAG_DEGRADED_MS) problems.push(`oldest unshipped record is ${Math.round(i.spool.lagMs / 1000)} s old`);
  if (i.shipper.consecutiveFailures > 0 && i.shipper.lastError) problems.push(`shipping: ${i.shipper.lastError}`);
  for (const r of i.routers) if (!r.up) problems.push(`router ${r.router} down${r.lastError ? `: ${r.lastError}` : ''}`);
  if (i.enforcer) problems.push(...enforcerProblems(i.enforcer));
  return {
    status: problems.length === 0 ? 'ok' : 'degraded',
    problems,
    spool: { depthRecords: i.spool.depth, bytes: i.spool.bytes, maxBytes: i.spool.maxBytes, usedPercent, failed: i.spool.failed ?? null },
    shipping: {
      lagSeconds: Math.round(i.spool.lagMs / 1000),
      lastAckAt: i.shipper.lastAckAt,
      lastError: i.shipper.lastError,
      consecutiveFailures: i.shipper.consecutiveFailures,
    },
    routers: i.routers,
    radius: i.radius ? { openSessions: i.radius.openSessions } : null,
    enforcer: i.enforcer ?? null,
  };
}

export interface AgentHttpOptions {
  host: string;
  port: number;
  registry: Registry;
  health: () => HealthInputs;
  logger: Logger;
}

/**
 * GET /healthz (JSON; 200 when ok, 503 when degraded, so a load balancer or monitor can act on
 * the status code alone) and GET /metrics (Prometheus text). Nothing else.
 */
export async function startAgentHttp(opts: AgentHttpOptions): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const report = assessHealth(opts.health());
      res.writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(report));
      return;
    }
    if (path === '/metrics') {
      opts.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(text);
        })
        .catch((err: unknown) => {
          opts.logger.error('http: metrics collection failed', { error: errorMessage(err) });
          res.writeHead(500).end();
        });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /healthz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info('http: health and metrics listening', { host: opts.host, port });
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
