import { expect } from 'chai';
import { loggableSql } from '../../../../plugin/db/database.js';

describe('SQL in the debug log', () => {
  it('shows a statement\'s shape without its values', () => {
    expect(loggableSql("INSERT INTO users (email, password_hash) VALUES ('ada@example.net', 'secret''s hash')")).to.equal("INSERT INTO users (email, password_hash) VALUES ('?', '?')");
  });

  it('keeps a value cut at the length limit out of the log, even in a statement of 300 KB', () => {
    const values = Array.from({ length: 20_000 }, (_, i) => `('session-secret-${i}')`).join(', ');
    const sql = `INSERT INTO t (v) VALUES ${"('" + 'x'.repeat(1990)}${values.slice(2)}`;
    const logged = loggableSql(sql);
    expect(logged.length).to.be.at.most(500);
    expect(logged).not.to.contain('xxx');
    expect(logged).not.to.contain('session-secret');
  });
});
