export { gatewaysConfigSchema, type GatewaysConfig } from './gateways/config.js';
