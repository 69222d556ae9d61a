// Loading and checking seed data. A seed file (YAML or JSON) may give any subset of the top-level
// keys; missing keys keep the built-in defaults, and missing per-project lists are empty.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_REGION, defaultSeed } from './seed-default.ts';
import { parseSeedInput } from './seed-schema.ts';
import type { PartialProjectSeed, PartialSeed, ProjectSeed, SeedData, SeedDefaults } from './types.ts';
import { isUuid, newUuid } from './uuid.ts';

export function completeProject(p: PartialProjectSeed): ProjectSeed {
  return {
    ...p,
    id: p.id,
    regions: p.regions?.length ? p.regions : [DEFAULT_REGION],
    networks: p.networks ?? [],
    // Rules need ids for Get/DeleteSecurityGroupRule; given once here, they survive resets.
    securityGroups: (p.securityGroups ?? []).map((g) => ({
      ...g,
      rules: (g.rules ?? []).map((r) => ({ ...r, id: r.id ?? newUuid() })),
    })),
    affinityGroups: p.affinityGroups ?? [],
    volumes: p.volumes ?? [],
    nics: p.nics ?? [],
  };
}

export function completeSeed(partial: PartialSeed = {}): SeedData {
  const base = defaultSeed();
  const seed: SeedData = {
    regions: partial.regions ?? base.regions,
    machineTypes: partial.machineTypes ?? base.machineTypes,
    images: partial.images ?? base.images,
    keypairs: partial.keypairs ?? base.keypairs,
    projects: (partial.projects ?? base.projects).map(completeProject),
  };
  checkSeed(seed);
  return seed;
}

/** Parses seed text (YAML, of which JSON is a subset), checks it and completes it with the defaults. */
export function parseSeed(text: string): SeedData {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    throw new Error(`not valid YAML or JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('expected a mapping (object) at the top level');
  }
  return completeSeed(parseSeedInput(parsed));
}

/**
 * Reads a seed file (`.yaml`, `.yml` or `.json`; the content decides, not the name), checks it and
 * completes it with the built-in defaults. Errors name the file and the path of every problem.
 */
export function loadSeedFile(path: string): SeedData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`seed file ${path}: ${(e as Error).message}`);
  }
  try {
    return parseSeed(text);
  } catch (e) {
    throw new Error(`seed file ${path}: ${(e as Error).message}`);
  }
}

/** Throws on the mistakes that would make the simulator answer nonsense. */
export function checkSeed(seed: SeedData): void {
  const problems: string[] = [];
  const regions = new Set(seed.regions.map((r) => r.name));
  const ids = new Set<string>();
  const uuid = (where: string, id: unknown) => {
    if (typeof id !== 'string' || !isUuid(id)) problems.push(`${where}: id must be a lowercase UUID`);
    else if (ids.has(id)) problems.push(`${where}: duplicate id ${id}`);
    else ids.add(id);
  };
  if (seed.projects.length === 0) problems.push('projects: at least one project is required');
  const keypairNames = new Set<string>();
  seed.keypairs.forEach((k, i) => {
    if (k.name === undefined || k.name === '') problems.push(`keypairs[${i}].name: a name is required`);
    else if (keypairNames.has(k.name)) problems.push(`keypairs[${i}].name: duplicate name ${k.name}`);
    else keypairNames.add(k.name);
  });
  seed.images.forEach((im, i) => {
    uuid(`images[${i}]`, im.id);
  });
  seed.projects.forEach((p, i) => {
    const at = `projects[${i}]`;
    uuid(at, p.id);
    for (const r of p.regions) if (!regions.has(r)) problems.push(`${at}.regions: unknown region ${r}`);
    const inRegion = (where: string, r: string | undefined) => {
      if (r !== undefined && !p.regions.includes(r))
        problems.push(`${where}.region: ${r} is not a region of the project`);
    };
    p.networks.forEach((n, j) => {
      uuid(`${at}.networks[${j}]`, n.id);
      inRegion(`${at}.networks[${j}]`, n.region);
      if (!n.ipv4?.prefixes?.length)
        problems.push(`${at}.networks[${j}].ipv4.prefixes: at least one IPv4 prefix is required`);
    });
    p.securityGroups.forEach((g, j) => {
      uuid(`${at}.securityGroups[${j}]`, g.id);
      inRegion(`${at}.securityGroups[${j}]`, g.region);
    });
    p.affinityGroups.forEach((g, j) => {
      uuid(`${at}.affinityGroups[${j}]`, g.id);
      inRegion(`${at}.affinityGroups[${j}]`, g.region);
    });
    p.volumes.forEach((v, j) => {
      uuid(`${at}.volumes[${j}]`, v.id);
      inRegion(`${at}.volumes[${j}]`, v.region);
    });
    p.nics.forEach((n, j) => {
      uuid(`${at}.nics[${j}]`, n.id);
      inRegion(`${at}.nics[${j}]`, n.region);
      if (!p.networks.some((net) => net.id === n.networkId)) {
        problems.push(`${at}.nics[${j}].networkId: no such network in the project`);
      }
    });
  });
  if (problems.length > 0) throw new Error(`invalid seed data:\n  ${problems.join('\n  ')}`);
}

export function seedDefaults(seed: SeedData): SeedDefaults {
  const p = seed.projects[0]!;
  const region = p.regions[0]!;
  const zones = seed.regions.find((r) => r.name === region)?.availabilityZones ?? [];
  const sg = p.securityGroups[0];
  return {
    projectId: p.id,
    region,
    availabilityZone: zones[0] ?? `${region}-m`,
    networkId: p.networks[0]?.id ?? '',
    imageId: seed.images[0]?.id ?? '',
    machineType: seed.machineTypes.find((m) => m.name === 'c2i.2')?.name ?? seed.machineTypes[0]?.name ?? '',
    keypairName: seed.keypairs[0]?.name ?? '',
    securityGroupId: sg?.id ?? '',
    securityGroupName: sg?.name ?? '',
    affinityGroupId: p.affinityGroups[0]?.id ?? '',
  };
}
