import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../helpers/temp-repo.ts';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: unknown;
  entrypoint?: string[];
  ports?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

async function readCompose(): Promise<ComposeFile> {
  return YAML.parse(await readFile(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as ComposeFile;
}

/** The services of a profile. */
function inProfile(compose: ComposeFile, profile: string): [string, ComposeService][] {
  return Object.entries(compose.services).filter(([, s]) => s.profiles?.includes(profile));
}

describe('docker-compose.yml', () => {
  it('parses and defines Redis, the API and the materializer', async () => {
    const compose = await readCompose();
    const redis = compose.services.redis;
    expect(redis?.image).toMatch(/^redis:7/);
    expect(redis?.ports).toContain('6379:6379');
    expect(compose.services.api?.command).toContain('serve');
    expect(compose.services.materializer?.build).toBe('.');
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image ?? service.build, `service ${name} needs an image or a build`).toBeTruthy();
    }
    // The image runs compiled JavaScript: the worker's entry point is a file the build makes.
    const [node, entry] = compose.services.materializer?.entrypoint ?? [];
    expect(node).toBe('node');
    await access(path.join(PROJECT_ROOT, entry ?? '(none)'));
    // Profiled services start only when asked for: the default layout stays Redis, API, worker.
    const unprofiled = Object.entries(compose.services).filter(([, s]) => !s.profiles);
    expect(unprofiled.map(([name]) => name).sort()).toEqual(['api', 'materializer', 'redis']);
  });

  it('profile cluster: 6 cluster nodes, an init job creating 3 masters with a replica each, 2 API replicas and 2 materializers on it', async () => {
    const compose = await readCompose();
    const services = inProfile(compose, 'cluster');
    const nodes = services.filter(([, s]) => JSON.stringify(s.command).includes('"--cluster-enabled","yes"'));
    expect(nodes).toHaveLength(6);
    const init = compose.services['redis-cluster-init'];
    const script = String((init?.command as string[] | undefined)?.[0]);
    expect(script).toMatch(/redis-cli --cluster create/);
    expect(script).toMatch(/--cluster-replicas 1/);
    expect(script).toMatch(/for i in 1 2 3 4 5 6/);
    expect(Object.keys(init?.depends_on ?? {}).sort()).toEqual(nodes.map(([name]) => name).sort());
    const clusterNodes = nodes.map(([name]) => `${name}:6379`).join(',');
    for (const name of ['api-cluster', 'materializer-cluster']) {
      const service = compose.services[name];
      expect(service?.profiles).toEqual(['cluster']);
      expect(service?.deploy?.replicas, name).toBe(2);
      expect(service?.environment?.TROVE_REDIS_CLUSTER).toBe(clusterNodes);
      expect(service?.depends_on?.['redis-cluster-init']?.condition).toBe('service_completed_successfully');
      // One offline store for all: the repo is a shared volume.
      expect(service?.volumes).toContain('repo-cluster:/app/feature_repo');
    }
    expect(compose.services['materializer-cluster']?.environment?.TROVE_MATERIALIZER_MODE).toBe(
      'distributed',
    );
    expect(compose.volumes).toHaveProperty('repo-cluster');
  });

  it('profile sentinel: a master, its replica, 3 sentinels watching it, and Trove pointed at them', async () => {
    const compose = await readCompose();
    const services = inProfile(compose, 'sentinel');
    const sentinels = services.filter(([, s]) => JSON.stringify(s.command).includes('--sentinel'));
    expect(sentinels).toHaveLength(3);
    for (const [, s] of sentinels)
      expect(String((s.command as string[])[0])).toMatch(
        /sentinel monitor trove redis-sentinel-master 6379 2/,
      );
    expect(JSON.stringify(compose.services['redis-sentinel-replica']?.command)).toContain(
      '"--replicaof","redis-sentinel-master","6379"',
    );
    for (const name of ['api-sentinel', 'materializer-sentinel']) {
      const env = compose.services[name]?.environment;
      expect(env?.TROVE_REDIS_SENTINELS).toBe(sentinels.map(([n]) => `${n}:26379`).join(','));
      expect(env?.TROVE_REDIS_SENTINEL_NAME).toBe('trove');
    }
  });

  it('the Dockerfile builds in one stage and runs as a non-root user in another', async () => {
    const dockerfile = await readFile(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split('\n').filter((l) => l.startsWith('FROM '));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/COPY --from=build /);
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const user = final.match(/^USER (\S+)$/m)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });
});
