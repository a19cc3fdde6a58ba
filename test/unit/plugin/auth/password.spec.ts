import { expect } from 'chai';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from '../../../../plugin/auth/password.js';
import { hasRole } from '../../../../plugin/auth/roles.js';

describe('staff passwords', () => {
  it('verifies the password a hash was made from, and no other', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).to.match(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery staple', hash)).to.equal(true);
    expect(await verifyPassword('correct horse battery stapler', hash)).to.equal(false);
  });

  it('salts: the same password hashes differently twice', async () => {
    expect(await hashPassword('same password twice')).not.to.equal(await hashPassword('same password twice'));
  });

  it('rejects a malformed stored hash instead of throwing', async () => {
    expect(await verifyPassword('x', 'plain-text-password')).to.equal(false);
  });

  it('asks for 12 characters at least', () => {
    expect(passwordProblem('short')).to.equal('must be at least 12 characters');
    expect(passwordProblem('twelve chars')).to.equal(null);
  });

  it('generates 20-character passwords that pass the policy', () => {
    const pw = generatePassword();
    expect(pw).to.have.length(20);
    expect(passwordProblem(pw)).to.equal(null);
    expect(generatePassword()).not.to.equal(pw);
  });
});

describe('staff roles', () => {
  it('orders admin above billing above readonly', () => {
    expect(hasRole('admin', 'billing')).to.equal(true);
    expect(hasRole('billing', 'billing')).to.equal(true);
    expect(hasRole('billing', 'admin')).to.equal(false);
    expect(hasRole('readonly', 'billing')).to.equal(false);
  });
});
