import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadAgentConfig } from '../../../agent/config.js';
import { loadPluginConfig } from '../../../plugin/config.js';
import { AGENT_API_PREFIX } from '../../../plugin/common/wire.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const GUIDE = readFileSync(join(ROOT, 'config', 'deploy', 'PRODUCTION.md'), 'utf8');
const source = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The fenced block whose first line is the comment `# <name>` (how the guide labels its files). */
function block(name: string): string {
  const m = new RegExp(`\`\`\`[a-z]*\\n# ${name.replace(/[.*/()]/g, '\\$&')}[^\\n]*\\n([\\s\\S]*?)\`\`\``).exec(GUIDE);
  if (!m) throw new Error(`the guide has no block labelled # ${name}`);
  return m[1]!;
}

/** Loads a guide block through the real loader, from a file, with the env file's variables set. */
function load<T>(name: string, loader: (file: string, env: NodeJS.ProcessEnv) => T, env: NodeJS.ProcessEnv): T {
  const dir = mkdtempSync(join(tmpdir(), 'octet-guide-'));
  try {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, block(name));
    return loader(file, env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PLUGIN_ENV = { OCTET_DB_PASSWORD: 'db-secret', SMTP_PASSWORD: 'smtp-secret' };
const AGENT_ENV = { OCTET_AGENT_TOKEN: 'oct_agent_0123456789abcdef', RADIUS_SECRET_BRAS1: 'radius-secret', BRAS1_API_PASSWORD: 'api-secret' };

describe('the production guide (config/deploy/PRODUCTION.md) matches the code', () => {
  describe('its plugin config /etc/octet/octet.yaml', () => {
    const config = load('/etc/octet/octet.yaml', loadPluginConfig, PLUGIN_ENV);

    it('loads with the plugin\'s own config loader, secrets taken from the environment', () => {
      expect(config.db.url).to.equal('mysql://octet:db-secret@10.0.0.20:3306/octet');
      expect(config.smtp.pass).to.equal('smtp-secret');
    });

    it('trusts one proxy hop and listens on loopback behind nginx, which forwards to that port', () => {
      expect(config.http.trustProxy).to.equal(1);
      expect(config.http.host).to.equal('127.0.0.1');
      expect(block('/etc/nginx/sites-available/octet')).to.include(`proxy_pass http://127.0.0.1:${config.http.port};`);
    });

    it('keeps invoice PDFs inside the plugin unit\'s state directory', () => {
      expect(config.pdf.storeDir.startsWith('/var/lib/octet/')).to.equal(true);
    });

    it('stops with the missing variable named when the env file lacks the database password', () => {
      expect(() => load('/etc/octet/octet.yaml', loadPluginConfig, { SMTP_PASSWORD: 'x' })).to.throw(/OCTET_DB_PASSWORD/);
    });
  });

  describe('its agent config /etc/octet/agent.yaml', () => {
    const config = load('/etc/octet/agent.yaml', loadAgentConfig, AGENT_ENV);

    it('loads with the agent\'s own config loader, its spool and state inside the agent unit\'s state directory', () => {
      expect(config.spool.dir).to.equal('/var/lib/octet-agent/spool');
      expect(config.stateDir).to.equal('/var/lib/octet-agent/spool/state');
      expect(config.plugin.token).to.equal(AGENT_ENV.OCTET_AGENT_TOKEN);
    });

    it('enforces with the address list the firewall rules name', () => {
      const list = config.enforcement!.devices[0]!.addressList;
      expect(list).to.equal('octet-suspended');
      const rules = GUIDE.split('## 8.')[1]!.split('## 9.')[0]!;
      expect(rules.match(/src-address-list=(\S+)/g)!.every((m) => m === `src-address-list=${list}`)).to.equal(true);
    });

    it('serves the metrics Prometheus scrapes: /metrics on the agent\'s http port', () => {
      const prometheus = parseYaml(block('/etc/prometheus/prometheus.yml')) as { scrape_configs: Array<{ job_name: string; metrics_path: string; static_configs: Array<{ targets: string[] }> }> };
      const agent = prometheus.scrape_configs.find((j) => j.job_name === 'octet-agent')!;
      expect(agent.metrics_path).to.equal('/metrics');
      expect(source('agent/http.ts')).to.include("path === '/metrics'");
      expect(agent.static_configs[0]!.targets[0]!.endsWith(`:${config.http.port}`)).to.equal(true);
    });
  });

  it('probes the plugin on the health routes it serves', () => {
    const prometheus = parseYaml(block('/etc/prometheus/prometheus.yml')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const targets = prometheus.scrape_configs.find((j) => j.job_name === 'octet-plugin-health')!.static_configs[0]!.targets;
    const routes = source('plugin/web/routes/health.ts');
    for (const t of targets) expect(routes).to.include(`app.get('${new URL(t).pathname}'`);
  });

  it('keeps the enforcement stream unbuffered on the path the agent API serves it under', () => {
    expect(block('/etc/nginx/sites-available/octet')).to.include(`location ${AGENT_API_PREFIX}/enforcement/stream {`);
    expect(source('plugin/enforcement/agent-routes.ts')).to.include("router.get('/enforcement/stream'");
  });

  it('names every RouterOS menu the agent reads or writes in the section on its RouterOS user', () => {
    const section = GUIDE.split('## 7.')[1]!.split('## 8.')[0]!;
    const files = ['agent/poller', 'agent/enforcer'].flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.ts')).map((f) => `${d}/${f}`));
    const menus = new Set<string>();
    for (const f of files) for (const m of source(f).matchAll(/'(\/(?:system|ppp|interface|ip|queue)(?:\/[a-z-]+)*)'/g)) menus.add(m[1]!.replace(/\/(add|set|remove)$/, ''));
    expect(menus.size).to.be.greaterThan(5);
    for (const menu of menus) expect(section, menu).to.include(`\`${menu}\``);
  });

  it('reads no PPP secret password, so the RouterOS group needs no "sensitive" policy', () => {
    expect(source('agent/poller/collect.ts')).to.include("const proplist = ['name', 'profile', 'disabled', 'comment'];");
    const groups = block('RouterOS');
    expect(groups).to.not.include('sensitive');
  });

  it('names only octet commands the CLI registers', () => {
    const registered = new Set([...source('plugin/cli/commands/index.ts').matchAll(/register([A-Z][A-Za-z]+)/g)].map((m) => m[1]!.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()));
    const used = new Set([...GUIDE.matchAll(/octet\.js ([a-z-]+)/g)].map((m) => m[1]!));
    expect(used.size).to.be.greaterThan(3);
    for (const c of used) expect(registered, c).to.include(c);
  });
});
