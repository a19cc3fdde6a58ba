import { ConflictError } from '../../common/errors.js';
import type { RunningPlugin } from '../../main.js';

/**
 * The demo's catalogue: one tariff of each kind (per unit with an allowance, packages, graduated
 * and volume tiers, a free night band with top-ups, a flat rate with a fair-use cap), in the
 * definition format staff type on the Tariffs page and `octet rate` reads.
 */
export const DEMO_TARIFFS = [
  { code: 'fibre-100', name: 'Fibre 100 (per GB above 200 GB)', recurringFee: '29.90', usage: { direction: 'both', unit: 'GB', includedUnits: '200', charge: { model: 'per_unit', unitPrice: '0.05' } } },
  { code: 'fibre-300', name: 'Fibre 300 (graduated)', recurringFee: '49.90', usage: { direction: 'both', unit: 'GB', includedUnits: '500', charge: { model: 'graduated', tiers: [{ from: '0', to: '100', unitPrice: '0.04' }, { from: '100', unitPrice: '0.02', flatFee: '1.00' }] } } },
  { code: 'hotspot-day', name: 'Hotspot (per started 1 GB pack)', recurringFee: '2.00', usage: { direction: 'download', unit: 'GB', charge: { model: 'package', packageSize: '1', packagePrice: '0.50', freeUnits: '1' } } },
  { code: 'dsl-50', name: 'DSL 50 (volume tiers)', recurringFee: '19.90', usage: { direction: 'both', unit: 'GiB', includedUnits: '50', charge: { model: 'volume', tiers: [{ from: '0', to: '100', unitPrice: '0.03' }, { from: '100', unitPrice: '0.02', flatFee: '2.00' }] } } },
  {
    code: 'night-owl', name: 'Night owl (free 00:00-07:00, top-ups)', recurringFee: '24.90',
    usage: { direction: 'both', unit: 'GB', includedUnits: '100', charge: { model: 'per_unit', unitPrice: '0.10', block: '1' }, timeBands: [{ name: 'night', from: '00:00', to: '07:00', percent: '0' }], topUps: [{ code: 'plus-50', units: '50', price: '3.00' }] },
  },
  { code: 'flat-fair', name: 'Flat 500 GB fair use', recurringFee: '39.90', usage: { direction: 'both', unit: 'GB', fairUse: { capUnits: '500', throttleRate: '2M/2M' } } },
] as const;

/** Creates the demo tariffs that are missing (and activates drafts of the same codes from older demo databases). */
export async function seedDemoTariffs(plugin: RunningPlugin, currency: string): Promise<void> {
  const { catalogue, port } = plugin.services.tariffs;
  for (const t of DEMO_TARIFFS) {
    if ((await port.assignable(t.code)) === null) continue;
    const definition = { ...t, currency };
    try {
      await catalogue.create(definition, 'system:demo');
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      await catalogue.activate(t.code, definition, 'system:demo').catch(() => undefined);
    }
  }
}
