/**
 * Auth: staff users, roles, passwords and API tokens.
 *
 * For other modules: roles (`ROLES`, `Role`, `isRole`, `hasRole`), the signed-in `StaffUser` and an
 * API token's `ApiTokenInfo`, password helpers for the CLI and the demo. For the composition root:
 * the repositories and the service it builds once (plugin/main.ts).
 */
export { AuthService } from './auth.service.js';
export { LoginFailuresRepository } from './login-failures.repository.js';
export { generatePassword, hashPassword, passwordProblem, verifyPassword } from './password.js';
export { hasRole, isRole, ROLES, type Role } from './roles.js';
export { ApiTokensRepository, type ApiTokenInfo } from './tokens.repository.js';
export { UsersRepository, type StaffUser, type StaffUserWithHash } from './users.repository.js';
