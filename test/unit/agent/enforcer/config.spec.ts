import { expect } from 'chai';
import { agentConfigSchema } from '../../../../agent/config.js';
import { parseConfigText } from '../../../../plugin/common/config-file.js';
import { ConfigError } from '../../../../plugin/common/errors.js';

const base = `
plugin: { url: "https://billing.example.net", token: "0123456789abcdef" }
spool: { dir: /var/lib/octet/spool }
routers:
  - { name: bras1, host: 10.0.0.1, username: octet, password: pw }
radius:
  clients: [{ name: nas1, address: 10.0.0.9, secret: s3cret }]
`;

function parse(text: string) {
  return parseConfigText(base + text, 'agent.yaml', agentConfigSchema, {});
}

function issues(text: string): string[] {
  try {
    parse(text);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.field}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('agent config: enforcement', () => {
  it('fills the defaults: address list octet-suspended, queue throttling, RFC 5176 port 3799, reconciliation every 5 minutes', () => {
    const c = parse(`enforcement:\n  devices: [{ name: bras1 }, { name: nas1, suspend: radius, throttle: radius }]\n`);
    expect(c.enforcement!.reconcileSeconds).to.equal(300);
    expect(c.enforcement!.devices[0]).to.deep.include({ name: 'bras1', suspend: 'address-list', throttle: 'queue', addressList: 'octet-suspended' });
    expect(c.enforcement!.devices[1]!.radius).to.deep.include({ port: 3799, retries: 2, timeoutSeconds: 3 });
  });

  it('names the field when a device is not a configured router or NAS, is listed twice, or mixes RADIUS with RouterOS methods', () => {
    expect(issues(`enforcement:\n  devices: [{ name: bras9 }]\n`)).to.deep.equal(['enforcement.devices.0.name: no routers entry named bras9']);
    expect(issues(`enforcement:\n  devices: [{ name: bras1, suspend: radius, throttle: none }]\n`)).to.deep.equal(['enforcement.devices.0.name: no radius.clients entry named bras1']);
    expect(issues(`enforcement:\n  devices: [{ name: bras1 }, { name: bras1 }]\n`)).to.deep.equal(['enforcement.devices.1.name: duplicate device bras1']);
    expect(issues(`enforcement:\n  devices: [{ name: nas1, suspend: radius }]\n`)[0]).to.match(/^enforcement.devices.0.throttle: mixes RADIUS and RouterOS API methods/);
    expect(issues(`enforcement:\n  devices: [{ name: bras1, suspend: block }]\n`)[0]).to.match(/^enforcement.devices.0.suspend: /);
  });

  it('throttles by PPP profile on a router configured so, and asks for the profile when it is missing or out of place', () => {
    const c = parse(`enforcement:\n  devices: [{ name: bras1, throttle: profile, throttleProfile: fair-use-1M }]\n`);
    expect(c.enforcement!.devices[0]).to.deep.include({ name: 'bras1', throttle: 'profile', throttleProfile: 'fair-use-1M' });
    expect(issues(`enforcement:\n  devices: [{ name: bras1, throttle: profile }]\n`)).to.deep.equal([
      'enforcement.devices.0.throttleProfile: is required with throttle: profile: name the /ppp/profile (with its rate-limit) throttled subscribers move to',
    ]);
    expect(issues(`enforcement:\n  devices: [{ name: bras1, throttleProfile: fair-use-1M }]\n`)).to.deep.equal(['enforcement.devices.0.throttleProfile: applies to throttle: profile only; remove it or set throttle: profile']);
  });
});
