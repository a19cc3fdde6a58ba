import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { routerConfigSchema, routerPort } from '../../../../agent/poller/config.js';
import { ConfigError } from '../../../../plugin/common/errors.js';
import { loadConfigFile } from '../../../../plugin/common/config-file.js';

describe('router config entry', () => {
  it('fills the defaults: port 8728, poll every 60 s, PPP only, polling authoritative', () => {
    const r = routerConfigSchema.parse({ name: 'bras1', host: '10.0.0.1', username: 'octet', password: 'x' });
    expect(routerPort(r)).to.equal(8728);
    expect(r.pollIntervalSeconds).to.equal(60);
    expect(r.collect).to.deep.equal({ ppp: true, hotspot: false, queues: false });
    expect(r.sessionSource).to.equal('poll');
    expect(r.direction).to.equal('standard');
    expect(r.tls).to.deep.equal({ enabled: false, insecure: false });
  });

  it('defaults the port to 8729 with TLS', () => {
    const r = routerConfigSchema.parse({ name: 'bras1', host: 'h', username: 'u', password: 'p', tls: { enabled: true, insecure: true } });
    expect(routerPort(r)).to.equal(8729);
  });

  it('refuses unknown keys, naming them', () => {
    const res = routerConfigSchema.safeParse({ name: 'b', host: 'h', username: 'u', password: 'p', pollInterval: 5 });
    expect(res.success).to.equal(false);
    expect(res.error?.issues[0]).to.include({ code: 'unrecognized_keys' });
  });

  it('refuses a malformed certificate fingerprint', () => {
    const res = routerConfigSchema.safeParse({ name: 'b', host: 'h', username: 'u', password: 'p', tls: { enabled: true, fingerprint: 'abc' } });
    expect(res.error?.issues[0]?.path).to.deep.equal(['tls', 'fingerprint']);
  });

  it('refuses TLS options while TLS is off', () => {
    const res = routerConfigSchema.safeParse({ name: 'b', host: 'h', username: 'u', password: 'p', tls: { insecure: true } });
    expect(res.error?.issues[0]?.path).to.deep.equal(['tls', 'enabled']);
  });

  it('takes the password from the environment through the config loader', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'octet-routercfg-'));
    try {
      const file = path.join(dir, 'agent.yaml');
      writeFileSync(file, 'routers:\n  - name: bras1\n    host: 10.0.0.1\n    username: octet\n    password: ${BRAS1_PASSWORD}\n');
      const schema = z.strictObject({ routers: z.array(routerConfigSchema) });
      expect(loadConfigFile(file, schema, { BRAS1_PASSWORD: 'from-env' }).routers[0]?.password).to.equal('from-env');
      expect(() => loadConfigFile(file, schema, {})).to.throw(ConfigError, /routers\.0\.password: environment variable BRAS1_PASSWORD is not set/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
