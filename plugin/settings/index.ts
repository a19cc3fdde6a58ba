/** Settings: small key/value facts the plugin keeps in its database (ctx.repos.settings). */
export { SettingsRepository } from './settings.repository.js';
