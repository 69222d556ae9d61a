// Where providerSpec and Secret meet: the effective region, network, boot source and user data for
// one Machine. providerSpec wins over the Secret everywhere, as the seed README says.

import type { components } from '../iaas/generated/iaas-v2.ts';
import type { FieldError } from './field-error.ts';
import { regionOfZone } from './patterns.ts';
import type { ProviderSpec } from './provider-spec.ts';
import type { ProviderSecret } from './secret.ts';

type Schemas = components['schemas'];
export type ServerNetworking = Schemas['CreateServerNetworking'] | Schemas['CreateServerNetworkingWithNics'];
export type BootFragment = Pick<Schemas['CreateServerPayload'], 'imageId' | 'bootVolume'>;

const bootstrapTokenPlaceholder = '<<BOOTSTRAP_TOKEN>>';
const machineNamePlaceholder = '<<MACHINE_NAME>>';

export interface ResolvedUserData {
  /** Plain text (the driver base64-encodes it for the API), or undefined for none. */
  userData: string | undefined;
  source: 'providerSpec' | 'secret' | 'none';
  warnings: string[];
}

/**
 * providerSpec.userData wins over the Secret's. MCM substitutes <<BOOTSTRAP_TOKEN>> and
 * <<MACHINE_NAME>> (plain or URL-query-escaped) only in the Secret's userData, so here we substitute
 * <<MACHINE_NAME>> in a providerSpec userData as well. A bootstrap token cannot be substituted: MCM
 * creates it for the Secret's userData alone, which makes a providerSpec userData a tool for
 * non-Gardener use (its nodes cannot join a Gardener shoot that way), and we warn when it asks for one.
 */
export function resolveUserData(
  spec: ProviderSpec,
  secret: ProviderSecret,
  machineName: string,
): ResolvedUserData {
  const warnings: string[] = [];
  if (spec.userData === undefined) {
    return secret.userData === undefined
      ? { userData: undefined, source: 'none', warnings }
      : { userData: secret.userData, source: 'secret', warnings };
  }
  if (secret.userData !== undefined) {
    warnings.push(
      "providerSpec.userData overrides the Secret's userData, which MCM prepared with the node's bootstrap token",
    );
  }
  const escapedToken = encodeURIComponent(bootstrapTokenPlaceholder);
  if (spec.userData.includes(bootstrapTokenPlaceholder) || spec.userData.includes(escapedToken)) {
    warnings.push(
      'providerSpec.userData contains <<BOOTSTRAP_TOKEN>>, which MCM fills only in the Secret’s userData; it stays unreplaced and the node cannot join with it',
    );
  }
  const userData = spec.userData
    .replaceAll(machineNamePlaceholder, machineName)
    .replaceAll(encodeURIComponent(machineNamePlaceholder), encodeURIComponent(machineName));
  return { userData, source: 'providerSpec', warnings };
}

export type Resolved<T> = { ok: true; value: T; warnings: string[] } | { ok: false; errors: FieldError[] };

/** providerSpec.region, else the Secret's; the availability zone must lie in it. */
export function resolveRegion(spec: ProviderSpec, secret: ProviderSecret): Resolved<string> {
  const warnings: string[] = [];
  const region = spec.region ?? secret.region;
  if (region === undefined) {
    return {
      ok: false,
      errors: [
        { path: 'providerSpec.region', message: 'is required, here or as region in the Secret, e.g. eu01' },
      ],
    };
  }
  if (spec.region !== undefined && secret.region !== undefined && spec.region !== secret.region) {
    warnings.push(`providerSpec.region ${spec.region} overrides the Secret's region ${secret.region}`);
  }
  const zoneRegion = spec.availabilityZone === undefined ? undefined : regionOfZone(spec.availabilityZone);
  if (zoneRegion !== undefined && zoneRegion !== region) {
    return {
      ok: false,
      errors: [
        {
          path: 'providerSpec.availabilityZone',
          message: `is in region ${zoneRegion}, not in the configured region ${region}`,
          value: JSON.stringify(spec.availabilityZone),
        },
      ],
    };
  }
  return { ok: true, value: region, warnings };
}

/** providerSpec.networking, else the Secret's networkId. */
export function resolveNetworking(spec: ProviderSpec, secret: ProviderSecret): Resolved<ServerNetworking> {
  const n = spec.networking;
  if (n?.nicIds !== undefined) return { ok: true, value: { nicIds: n.nicIds }, warnings: [] };
  if (n?.networkId !== undefined) return { ok: true, value: { networkId: n.networkId }, warnings: [] };
  if (secret.networkId !== undefined)
    return { ok: true, value: { networkId: secret.networkId }, warnings: [] };
  return {
    ok: false,
    errors: [
      {
        path: 'providerSpec.networking',
        message: 'is required: set networking.networkId or networking.nicIds, or networkId in the Secret',
      },
    ],
  };
}

/**
 * The boot part of CreateServerPayload: imageId alone, or a bootVolume (made from its source, or from
 * imageId when it has none). deleteOnTermination is always sent (default true) so boot volumes go
 * with their servers. parseProviderSpec guarantees an image or a source.
 */
export function resolveBoot(spec: ProviderSpec): BootFragment {
  const bv = spec.bootVolume;
  if (bv === undefined) return { imageId: spec.imageId! };
  const source = bv.source?.id !== undefined ? { type: bv.source.type, id: bv.source.id } : undefined;
  return {
    bootVolume: {
      source: source ?? { type: 'image', id: spec.imageId! },
      deleteOnTermination: bv.deleteOnTermination,
      ...(bv.size === undefined ? {} : { size: bv.size }),
      ...(bv.performanceClass === undefined ? {} : { performanceClass: bv.performanceClass }),
    },
  };
}

export interface ServerSettings {
  region: string;
  networking: ServerNetworking;
  boot: BootFragment;
  userData: string | undefined;
}

/** Everything of the above at once; errors from every part are reported together. */
export function resolveServerSettings(
  spec: ProviderSpec,
  secret: ProviderSecret,
  machineName: string,
): Resolved<ServerSettings> {
  const region = resolveRegion(spec, secret);
  const networking = resolveNetworking(spec, secret);
  const userData = resolveUserData(spec, secret, machineName);
  if (!region.ok || !networking.ok) {
    return {
      ok: false,
      errors: [...(region.ok ? [] : region.errors), ...(networking.ok ? [] : networking.errors)],
    };
  }
  return {
    ok: true,
    value: {
      region: region.value,
      networking: networking.value,
      boot: resolveBoot(spec),
      userData: userData.userData,
    },
    warnings: [...region.warnings, ...networking.warnings, ...userData.warnings],
  };
}
