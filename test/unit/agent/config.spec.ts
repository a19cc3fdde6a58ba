import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../plugin/common/errors.js';
import { parseConfigText } from '../../../plugin/common/config-file.js';
import { agentConfigSchema, loadAgentConfig, pollSourcedNames } from '../../../agent/config.js';

const schema = agentConfigSchema;
const EXAMPLE = fileURLToPath(new URL('../../../config/agent.example.yaml', import.meta.url));

const minimal = `
plugin: { url: "https://billing.example.net", token: "0123456789abcdef" }
spool: { dir: /var/lib/octet/spool }
`;

function parse(text: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(text, 'agent.yaml', schema, env);
}

function issues(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parse(text, env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.field}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('agent config', () => {
  it('fills the defaults of a minimal file', () => {
    const c = parse(minimal);
    expect(c.spool.maxBytes).to.equal(1024 ** 3);
    expect(c.http).to.deep.equal({ host: '127.0.0.1', port: 9180 });
    expect(c.log).to.deep.equal({ level: 'info', format: 'auto' });
    expect(c.routers).to.deep.equal([]);
    expect(c.radius).to.equal(undefined);
    expect(c.stateDir).to.equal('/var/lib/octet/spool/state');
    expect(c.plugin.batchSize).to.equal(1000);
  });

  it('reads RADIUS clients with port 1813 and the RFC direction by default', () => {
    const c = parse(`${minimal}radius:\n  clients: [{ name: bras1, address: 192.0.2.10, secret: s3cret }]\n`);
    expect(c.radius?.port).to.equal(1813);
    expect(c.radius?.clients[0]).to.deep.equal({ name: 'bras1', address: '192.0.2.10', secret: 's3cret', direction: 'rfc' });
  });

  it('takes secrets from the environment', () => {
    const c = parse(`${minimal}radius:\n  clients: [{ name: bras1, address: 192.0.2.10, secret: "\${NAS_SECRET}" }]\n`, { NAS_SECRET: 'from-env' });
    expect(c.radius?.clients[0]?.secret).to.equal('from-env');
  });

  it('names a missing environment variable', () => {
    expect(issues(`${minimal}radius:\n  clients: [{ name: b, address: 192.0.2.10, secret: "\${NAS_SECRET}" }]\n`)).to.deep.equal([
      'radius.clients.0.secret: environment variable NAS_SECRET is not set',
    ]);
  });

  it('rejects an unknown key, naming it', () => {
    expect(issues(minimal.replace('spool: { dir:', 'spool: { maxbytes: 5, dir:'))).to.deep.equal(['spool.maxbytes: unknown key']);
    expect(issues(`${minimal}shiper: {}\n`)).to.deep.equal(['shiper: unknown key']);
  });

  it('rejects a client address that is not an IP address and a bad direction', () => {
    const found = issues(`${minimal}radius:\n  clients: [{ name: b, address: nas.example, secret: s, direction: reversed }]\n`);
    expect(found).to.have.length(2);
    expect(found[0]).to.match(/^radius\.clients\.0\.address: must be an IPv4 or IPv6 address/);
    expect(found[1]).to.match(/^radius\.clients\.0\.direction: /);
  });

  it('rejects two NASes with the same address', () => {
    expect(
      issues(`${minimal}radius:\n  clients: [{ name: a, address: 192.0.2.1, secret: s }, { name: b, address: 192.0.2.1, secret: t }]\n`),
    ).to.deep.equal(['radius.clients.1.address: duplicate NAS address 192.0.2.1']);
  });

  it('requires the plugin url and token', () => {
    expect(issues('spool: { dir: /x }\n')).to.deep.equal(['plugin: Invalid input: expected object, received undefined']);
  });

  it('validates routers with the poller schema', () => {
    expect(issues(`${minimal}routers: [{ name: r1, host: 192.0.2.1, username: u, password: p, sessionSource: both }]\n`)[0]).to.match(/^routers\.0\.sessionSource: /);
  });

  it('lists the routers whose sessions are polled', () => {
    const c = parse(`${minimal}routers: [{ name: r1, host: a, username: u, password: p, sessionSource: poll }, { name: r2, host: b, username: u, password: p, sessionSource: radius }]\n`);
    expect([...pollSourcedNames(c.routers)]).to.deep.equal(['r1']);
  });

  it('accepts the commented example file with the poller\'s own router schema', () => {
    const c = loadAgentConfig(EXAMPLE, {
      OCTET_AGENT_TOKEN: 'token-0123456789abcdef',
      RADIUS_SECRET_BRAS1: 'x',
      BRAS1_API_PASSWORD: 'y',
    });
    expect(c.radius?.clients.map((cl) => cl.name)).to.deep.equal(['bras1']);
    expect([...pollSourcedNames(c.routers)]).to.deep.equal([]);
  });
});
