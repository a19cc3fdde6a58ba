import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../plugin/common/errors.js';
import type { SimulatorOptions } from './server.js';

/** The `octet simulate-router --config FILE` file (see config/simulator.example.yaml). */
export const simulatorConfigSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8728),
    })
    .prefault({}),
  tls: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(8729),
      certFile: z.string().min(1),
      keyFile: z.string().min(1),
    })
    .optional(),
  version: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, 'must look like 6.49.15 or 7.18.2')
    .default('7.18.2'),
  identity: z.string().min(1).default('MikroTik'),
  boardName: z.string().min(1).default('CCR2004-16G-2S+'),
  users: z
    .array(z.strictObject({ name: z.string().min(1), password: z.string() }))
    .min(1)
    .default([{ name: 'admin', password: '' }]),
  sessions: z
    .strictObject({
      ppp: z.number().int().min(0).max(200_000).default(100),
      hotspot: z.number().int().min(0).max(200_000).default(0),
      downloadBytesPerSecond: z.number().min(0).default(125_000),
      uploadBytesPerSecond: z.number().min(0).default(12_500),
    })
    .prefault({}),
});
export type SimulatorConfig = z.output<typeof simulatorConfigSchema>;

export function simulatorOptionsFrom(config: SimulatorConfig, configFile = '(flags)'): SimulatorOptions {
  const read = (file: string, field: string) => {
    try {
      return readFileSync(file);
    } catch {
      throw new ConfigError(configFile, [{ field, message: `cannot read ${file}` }]);
    }
  };
  return {
    host: config.listen.host,
    port: config.listen.port,
    ...(config.tls
      ? { tls: { port: config.tls.port, cert: read(config.tls.certFile, 'tls.certFile'), key: read(config.tls.keyFile, 'tls.keyFile') } }
      : {}),
    version: config.version,
    identity: config.identity,
    boardName: config.boardName,
    users: config.users,
    sessions: config.sessions.ppp,
    hotspotSessions: config.sessions.hotspot,
    rates: { downloadBps: config.sessions.downloadBytesPerSecond, uploadBps: config.sessions.uploadBytesPerSecond },
  };
}
