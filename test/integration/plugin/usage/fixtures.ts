import { randomUUID } from 'node:crypto';
import type express from 'express';
import type { Transaction } from 'sequelize';
import request from 'supertest';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import type { PluginContext } from '../../../../plugin/context.js';
import { buildIngest } from '../../../../plugin/ingest/index.js';

/** A valid observation; override what the test is about. */
export function observation(over: Partial<SessionObservation> = {}): SessionObservation {
  return {
    recordId: randomUUID(),
    source: 'radius',
    sourceName: 'nas-1',
    login: 'alice',
    sessionId: 'S1',
    sessionStart: null,
    observedAt: '2026-03-01T10:00:00.000Z',
    downloadOctets: '0',
    uploadOctets: '0',
    ended: false,
    ...over,
  };
}

export function batch<T>(records: T[], batchId: string = randomUUID()): { batchId: string; sentAt: string; records: T[] } {
  return { batchId, sentAt: '2026-03-01T10:00:00.000Z', records };
}

export function postBatch(app: express.Express, token: string | null, body: unknown) {
  const req = request(app).post('/api/v1/agent/batches');
  if (token !== null) req.set('Authorization', `Bearer ${token}`);
  return req.send(body as object);
}

export async function createAgent(ctx: PluginContext, name = 'pop-north'): Promise<string> {
  return (await buildIngest(ctx).agents.create(name, 'test')).token;
}

export async function count(ctx: PluginContext, table: string): Promise<number> {
  const [rows] = await ctx.db.sequelize.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number((rows as Array<{ n: number | string }>)[0]!.n);
}

/** An account with one service for `login`, live from `startDate` (ISP-local date). */
export async function createService(ctx: PluginContext, login: string, startDate = '2026-01-01', endDate: string | null = null, transaction?: Transaction): Promise<{ accountId: number; serviceId: number }> {
  const now = ctx.clock.now();
  const account = await ctx.models.Account.create({ name: `Customer ${login}`, currency: 'EUR', status: 'active', createdAt: now, updatedAt: now }, { transaction });
  const accountId = Number(account.get('id'));
  const service = await ctx.models.Service.create({
    accountId,
    login,
    liveLogin: endDate === null ? login : null,
    status: 'active',
    startDate,
    endDate,
    createdAt: now,
    updatedAt: now,
  }, { transaction });
  return { accountId, serviceId: Number(service.get('id')) };
}

/** usage_hourly as comparable plain rows. */
export async function hourlyRows(ctx: PluginContext): Promise<string[]> {
  const [rows] = await ctx.db.sequelize.query(
    'SELECT login, hour_start AS h, service_id AS s, source, CAST(download AS CHAR) AS d, CAST(upload AS CHAR) AS u FROM usage_hourly ORDER BY login, hour_start',
  );
  return (rows as Array<Record<string, unknown>>).map((r) => `${r.login}|${new Date(String(r.h instanceof Date ? r.h.toISOString() : r.h).replace(' +00:00', 'Z').replace(' ', 'T')).toISOString()}|${r.s ?? '-'}|${r.source}|${r.d}|${r.u}`);
}
