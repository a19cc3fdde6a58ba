import { z } from 'zod';

/** The `enforcement` section of the plugin's config file (plugin/config.ts). */
export const enforcementConfigSchema = z
  .strictObject({
    aaa: z
      .strictObject({
        /**
         * The shared secret FreeRADIUS's rlm_rest sends in the `X-Octet-AAA-Secret` header to
         * POST /aaa/v1/authorize. Without one the endpoint answers 503 to everyone: it is never
         * open by accident.
         */
        secret: z.string().min(16).max(256).nullable().default(null),
        /** The MikroTik address list a suspended subscriber's next login is put in. */
        suspendedAddressList: z.string().min(1).max(64).default('octet-suspended'),
      })
      .prefault({}),
    /** How often a stream re-reads the versions from the database (changes made by another plugin instance). */
    streamPollSeconds: z.number().min(0.2).max(60).default(3),
    fairUse: z
      .strictObject({
        enabled: z.boolean().default(true),
        everyMinutes: z.number().int().min(1).max(1440).default(5),
      })
      .prefault({}),
  })
  .prefault({});
export type EnforcementConfig = z.output<typeof enforcementConfigSchema>;
