import { z } from 'zod';

/**
 * The agent's `enforcement:` part: how each router or NAS carries out the desired state the
 * plugin sends. A device is named as in `routers:` (RouterOS API methods) or `radius.clients:`
 * (RFC 5176 Disconnect/CoA); agent/config.ts checks that the name exists.
 */
export const enforcementDeviceSchema = z
  .strictObject({
    /** A router's or NAS's name, as services.nas_name gives it. */
    name: z.string().min(1).max(128),
    /**
     * How a suspension is carried out:
     * - address-list: an entry (the subscriber's address) in `addressList`, comment `octet:<serviceId>`;
     *   the router's firewall drops or redirects that list.
     * - ppp: the PPP secret is disabled and its /ppp/active session removed (enabled on restore).
     * - hotspot: the hotspot user is disabled and its /ip/hotspot/active session removed.
     * - radius: a Disconnect-Request to the NAS (the AAA server refuses the next login).
     * - none: this device does not suspend.
     */
    suspend: z.enum(['address-list', 'ppp', 'hotspot', 'radius', 'none']).default('address-list'),
    /**
     * How throttling is carried out: queue (a simple queue `octet-<serviceId>` on the subscriber's
     * address with max-limit = rate), profile (the PPP secret moves to `throttleProfile`, whose
     * rate-limit the router applies, and its active session is removed so the next login takes
     * it; restored, it moves back to the profile it had), radius (a CoA-Request with
     * Mikrotik-Rate-Limit), none.
     */
    throttle: z.enum(['queue', 'profile', 'radius', 'none']).default('queue'),
    /** With throttle: profile, the router's /ppp/profile a throttled subscriber is moved to (its rate-limit is the throttled rate). */
    throttleProfile: z.string().min(1).max(64).optional(),
    addressList: z.string().min(1).max(64).default('octet-suspended'),
    radius: z
      .strictObject({
        /** Where the NAS listens for Disconnect/CoA; default: the client's address from radius.clients. */
        address: z.string().min(1).optional(),
        /** RFC 5176 port (RouterOS: `/radius incoming set accept=yes port=3799`). */
        port: z.number().int().min(1).max(65535).default(3799),
        timeoutSeconds: z.number().min(0.1).max(60).default(3),
        retries: z.number().int().min(0).max(10).default(2),
        /**
         * Rate-Limit sent by CoA when a throttled subscriber is restored. Without it the session is
         * disconnected instead, so that the next login gets the normal rate from AAA.
         */
        restoreRateLimit: z.string().min(1).max(64).optional(),
      })
      .prefault({}),
  })
  .superRefine((d, ctx) => {
    const radiusish = d.suspend === 'radius' || d.throttle === 'radius';
    const routerish = d.suspend === 'address-list' || d.suspend === 'ppp' || d.suspend === 'hotspot' || d.throttle === 'queue' || d.throttle === 'profile';
    if (radiusish && routerish) {
      ctx.addIssue({ code: 'custom', path: ['throttle'], message: 'mixes RADIUS and RouterOS API methods on one device; use suspend: radius with throttle: radius (or none), or RouterOS methods only' });
    }
    if (d.throttle === 'profile' && !d.throttleProfile) {
      ctx.addIssue({ code: 'custom', path: ['throttleProfile'], message: 'is required with throttle: profile: name the /ppp/profile (with its rate-limit) throttled subscribers move to' });
    }
    if (d.throttle !== 'profile' && d.throttleProfile) {
      ctx.addIssue({ code: 'custom', path: ['throttleProfile'], message: 'applies to throttle: profile only; remove it or set throttle: profile' });
    }
  });

export const enforcementConfigSchema = z.strictObject({
  /** Compare every router's state with the desired state this often, and repair drift. */
  reconcileSeconds: z.number().int().min(10).max(86_400).default(300),
  /** A service a router could not bring to its state (e.g. offline, no address yet) is tried again this soon. */
  retryFailedSeconds: z.number().int().min(1).max(3600).default(60),
  /** The wait before reconnecting to the plugin's stream grows to this (with jitter). */
  maxBackoffSeconds: z.number().int().min(1).max(3600).default(60),
  devices: z.array(enforcementDeviceSchema).min(1, 'configure at least one device'),
});

export type EnforcementConfig = z.output<typeof enforcementConfigSchema>;
export type EnforcementDeviceConfig = z.output<typeof enforcementDeviceSchema>;

/** Which kind of device each method needs (RouterOS API for most, RADIUS for radius). */
export function deviceKind(d: Pick<EnforcementDeviceConfig, 'suspend' | 'throttle'>): 'router' | 'nas' {
  return d.suspend === 'radius' || (d.suspend === 'none' && d.throttle === 'radius') ? 'nas' : 'router';
}
