// The built-in seed: one project in eu01 with the resources a Gardener worker pool refers to.
// Ids are fixed so samples and docs can name them; machine-type sizes follow STACKIT's naming
// (t small, c 1:2, g 1:4, m 1:8 vCPU:GB; `i` Intel, `a` AMD, `d` no CPU overcommit).
import { type MachineType, type SeedData, specMap } from './types.ts';

export const DEFAULT_PROJECT_ID = '5097f855-d772-4950-ab1c-41b216d0a8d8';
export const DEFAULT_REGION = 'eu01';

const CREATED = '2025-01-15T09:00:00Z';

function machineType(name: string, vcpus: number, ramGb: number, description: string): MachineType {
  return {
    name,
    vcpus,
    ram: ramGb * 1024,
    disk: 0,
    description,
    extraSpecs: specMap({
      cpu: name.includes('a') ? 'amd-epyc' : 'intel-xeon',
      overcommit: name.endsWith('d') ? '1' : '4',
    }),
  };
}

export function defaultSeed(): SeedData {
  return {
    regions: [
      { name: 'eu01', availabilityZones: ['eu01-1', 'eu01-2', 'eu01-3', 'eu01-m'] },
      { name: 'eu02', availabilityZones: ['eu02-1', 'eu02-2', 'eu02-3', 'eu02-m'] },
    ],
    machineTypes: [
      machineType('t1.1', 1, 1, 'small servers with CPU overcommit'),
      machineType('t1.2', 2, 4, 'small servers with CPU overcommit'),
      machineType('s1.2', 2, 2, 'standard, 1:1 vCPU:GB'),
      machineType('c2i.2', 2, 4, 'compute optimised, Intel'),
      machineType('c2i.4', 4, 8, 'compute optimised, Intel'),
      machineType('c2i.8', 8, 16, 'compute optimised, Intel'),
      machineType('c2a.4', 4, 8, 'compute optimised, AMD'),
      machineType('g1a.4d', 4, 16, 'general purpose, AMD, no CPU overcommit'),
      machineType('g2i.4', 4, 16, 'general purpose, Intel'),
      machineType('g2i.8', 8, 32, 'general purpose, Intel'),
      machineType('m2i.8', 8, 64, 'memory optimised, Intel'),
      machineType('m2a.1d', 1, 8, 'memory optimised, AMD, no CPU overcommit'),
    ],
    images: [
      {
        id: 'a71e564c-d373-46ca-8e9c-07f7aeaccea5',
        name: 'Ubuntu 24.04',
        diskFormat: 'qcow2',
        minDiskSize: 10,
        minRam: 512,
        size: 614_400_000,
        status: 'AVAILABLE',
        scope: 'public',
        protected: true,
        createdAt: CREATED,
        updatedAt: CREATED,
        labels: specMap({ os: 'ubuntu' }),
        config: {
          architecture: 'x86',
          operatingSystem: 'linux',
          operatingSystemDistro: 'ubuntu',
          operatingSystemVersion: '24.04',
          uefi: true,
        },
        agent: { supported: true, provisionByDefault: false },
      },
      {
        id: '9a67d001-3029-4a25-8c7b-47d68bcba41c',
        name: 'Ubuntu 22.04',
        diskFormat: 'qcow2',
        minDiskSize: 10,
        minRam: 512,
        size: 598_016_000,
        status: 'AVAILABLE',
        scope: 'public',
        protected: true,
        createdAt: CREATED,
        updatedAt: CREATED,
        labels: specMap({ os: 'ubuntu' }),
        config: {
          architecture: 'x86',
          operatingSystem: 'linux',
          operatingSystemDistro: 'ubuntu',
          operatingSystemVersion: '22.04',
          uefi: true,
        },
        agent: { supported: true, provisionByDefault: false },
      },
      {
        id: 'd9485edd-55de-4db4-87b9-e897b4c6c19b',
        name: 'gardenlinux-1877.3',
        diskFormat: 'raw',
        minDiskSize: 20,
        minRam: 1024,
        size: 1_073_741_824,
        status: 'AVAILABLE',
        scope: 'public',
        protected: true,
        createdAt: CREATED,
        updatedAt: CREATED,
        labels: specMap({ os: 'gardenlinux' }),
        config: {
          architecture: 'x86',
          operatingSystem: 'linux',
          operatingSystemDistro: 'gardenlinux',
          operatingSystemVersion: '1877.3',
          uefi: true,
          secureBoot: false,
        },
        agent: { supported: false, provisionByDefault: false },
      },
    ],
    keypairs: [
      {
        name: 'sim-keypair',
        publicKey:
          'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIDsPd27M449akqCtdFg2+AmRVJz6eWio0oMP9dVg7Xe sim@stackit',
        fingerprint: '7e:1a:98:23:ed:2e:6d:7e:cc:a0:70:c4:d7:49:61:d4',
        labels: {},
        createdAt: CREATED,
        updatedAt: CREATED,
      },
    ],
    projects: [
      {
        id: DEFAULT_PROJECT_ID,
        name: 'simulator-default',
        regions: ['eu01'],
        networks: [
          {
            id: 'd7ae2c69-4059-447f-98b6-03fb11def4c0',
            name: 'sim-network',
            status: 'CREATED',
            dhcp: true,
            routed: true,
            labels: {},
            ipv4: {
              prefixes: ['10.250.0.0/16'],
              gateway: '10.250.0.1',
              nameservers: ['10.250.0.2'],
              publicIp: '203.0.113.10',
            },
            createdAt: CREATED,
            updatedAt: CREATED,
          },
          {
            id: '6b57d96f-68ba-4202-9dff-40dd536b1419',
            name: 'sim-network-small',
            status: 'CREATED',
            dhcp: true,
            routed: true,
            labels: {},
            ipv4: {
              prefixes: ['10.251.0.0/28'],
              gateway: '10.251.0.1',
              nameservers: [],
              publicIp: '203.0.113.11',
            },
            createdAt: CREATED,
            updatedAt: CREATED,
          },
        ],
        securityGroups: [
          {
            id: '418513c0-7557-4663-9026-3207a5910f20',
            name: 'default',
            description: 'default security group',
            stateful: true,
            labels: {},
            rules: [],
            createdAt: CREATED,
            updatedAt: CREATED,
          },
          {
            id: '5ae51705-4795-41f5-8055-73bc1a66a661',
            name: 'sim-nodes',
            description: 'worker nodes',
            stateful: true,
            labels: {},
            rules: [],
            createdAt: CREATED,
            updatedAt: CREATED,
          },
        ],
        affinityGroups: [
          {
            id: 'fcb405e7-bb2b-4fdd-afb9-fa36eacb515f',
            name: 'sim-soft-anti-affinity',
            policy: 'soft-anti-affinity',
          },
        ],
        volumes: [
          {
            id: '596734d1-c4c9-481f-a4f7-5ec69bf37af3',
            name: 'sim-bootable-volume',
            availabilityZone: 'eu01-1',
            size: 20,
            bootable: true,
            status: 'AVAILABLE',
            performanceClass: 'storage_premium_perf1',
            source: { type: 'image', id: 'a71e564c-d373-46ca-8e9c-07f7aeaccea5' },
            labels: {},
            createdAt: CREATED,
            updatedAt: CREATED,
          },
          {
            id: 'f33ba729-6184-4e82-85cf-8891772a1c7f',
            name: 'sim-data-volume',
            availabilityZone: 'eu01-1',
            size: 50,
            bootable: false,
            status: 'AVAILABLE',
            performanceClass: 'storage_premium_perf1',
            labels: {},
            createdAt: CREATED,
            updatedAt: CREATED,
          },
        ],
        nics: [
          {
            id: 'ddaef40c-fb8b-4d09-a888-368db737a742',
            networkId: 'd7ae2c69-4059-447f-98b6-03fb11def4c0',
            name: 'sim-free-port',
            nicSecurity: true,
            labels: {},
          },
        ],
      },
    ],
  };
}
