import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfigFile } from '../plugin/common/config-file.js';
import { routerConfigSchema, type RouterConfig } from './poller/config.js';
import { deviceKind, enforcementConfigSchema } from './enforcer/config.js';

/**
 * The agent's configuration file (config/agent.example.yaml documents every key). Strict: an
 * unknown key is an error, so a typo never silently falls back to a default. Each router entry is
 * the poller's schema.
 */

const hostSchema = z.string().min(1);
const portSchema = z.number().int().min(0).max(65535);

const radiusClientSchema = z.strictObject({
  /** The NAS name used in records; match a router's name to tie the two together. */
  name: z.string().min(1).max(128),
  /** Source address the NAS sends from; its packets are authenticated with this client's secret. */
  address: z.string().refine((a) => isIP(a) !== 0, 'must be an IPv4 or IPv6 address'),
  secret: z.string().min(1, 'must not be empty'),
  /** rfc: Acct-Output-Octets is the subscriber's download (RFC 2866); swapped: the NAS reverses them. */
  direction: z.enum(['rfc', 'swapped']).default('rfc'),
});

const radiusSchema = z
  .strictObject({
    host: hostSchema.default('0.0.0.0'),
    port: portSchema.default(1813),
    /** A retransmission within this many seconds is answered again without being recorded. */
    duplicateWindowSeconds: z.number().int().min(1).max(600).default(30),
    /** How long an ended session is remembered, so that a late interim never re-opens it. */
    endedSessionMemoryHours: z.number().int().min(1).max(24 * 30).default(48),
    clients: z.array(radiusClientSchema).min(1, 'configure at least one NAS'),
  })
  .superRefine((r, ctx) => {
    const names = new Set<string>();
    const addrs = new Set<string>();
    r.clients.forEach((c, i) => {
      if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'name'], message: `duplicate NAS name ${c.name}` });
      if (addrs.has(c.address)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'address'], message: `duplicate NAS address ${c.address}` });
      names.add(c.name);
      addrs.add(c.address);
    });
  });

export const agentConfigSchema = z
    .strictObject({
      plugin: z.strictObject({
        url: z.url({ protocol: /^https?$/ }),
        token: z.string().min(16, 'must be the agent token issued by the plugin (16 characters or more)'),
        batchSize: z.number().int().min(1).max(1000).default(1000),
        timeoutSeconds: z.number().int().min(1).max(600).default(30),
      }),
      spool: z.strictObject({
        dir: z.string().min(1),
        maxBytes: z.number().int().min(1024 * 1024, 'must be at least 1 MiB').default(1024 ** 3),
      }),
      /** Where the agent keeps small state files (open RADIUS sessions, poller counters). Default: <spool.dir>/state. */
      stateDir: z.string().min(1).optional(),
      radius: radiusSchema.optional(),
      routers: z.array(routerConfigSchema).default([]),
      /** Suspension and throttling per router/NAS (agent/enforcer); absent: the agent only meters. */
      enforcement: enforcementConfigSchema.optional(),
      http: z
        .strictObject({ host: hostSchema.default('127.0.0.1'), port: portSchema.default(9180) })
        .default({ host: '127.0.0.1', port: 9180 }),
      log: z
        .strictObject({
          level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
          format: z.enum(['json', 'text', 'auto']).default('auto'),
        })
        .default({ level: 'info', format: 'auto' }),
    })
    .superRefine((c, ctx) => {
      // An enforcement device is a configured router (RouterOS methods) or NAS (RADIUS methods).
      c.enforcement?.devices.forEach((d, i) => {
        const kind = deviceKind(d);
        const known = kind === 'nas' ? (c.radius?.clients ?? []).some((n) => n.name === d.name) : c.routers.some((r) => r.name === d.name);
        if (!known) ctx.addIssue({ code: 'custom', path: ['enforcement', 'devices', i, 'name'], message: `no ${kind === 'nas' ? 'radius.clients' : 'routers'} entry named ${d.name}` });
        if (c.enforcement!.devices.findIndex((x) => x.name === d.name) !== i) ctx.addIssue({ code: 'custom', path: ['enforcement', 'devices', i, 'name'], message: `duplicate device ${d.name}` });
      });
    })
    .transform((c) => ({ ...c, stateDir: c.stateDir ?? join(c.spool.dir, 'state') }));

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type RadiusConfig = NonNullable<z.output<typeof radiusSchema>>;

export function loadAgentConfig(file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return loadConfigFile(file, agentConfigSchema, env);
}

/** Names of routers whose sessions the poller counts (sessionSource 'poll'): their RADIUS accounting is not recorded. */
export function pollSourcedNames(routers: Array<Pick<RouterConfig, 'name' | 'sessionSource'>>): Set<string> {
  return new Set(routers.filter((r) => r.sessionSource === 'poll').map((r) => r.name));
}
