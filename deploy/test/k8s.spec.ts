import { createPrivateKey, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { KeyPair, type KeyPairString } from 'near-api-js';
import { deadLetterTopic, TOPICS } from '@lib/contracts';
import { writeDevKeys } from '../k8s/overlays/development/dev-keys';

// Renders deploy/k8s overlays the way `kubectl kustomize` would for the features they use
// (resources, namespace, images, strategic-merge patches), checks every object against a
// structural schema of its kind and every service's Deployment against the service's own config.

const root = join(__dirname, '..', '..');
const k8s = join(root, 'deploy', 'k8s');

type Doc = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

const kustomizationSchema = z
  .object({
    apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
    kind: z.literal('Kustomization'),
    namespace: z.string().optional(),
    resources: z.array(z.string()),
    images: z
      .array(z.object({ name: z.string(), newName: z.string(), newTag: z.string() }).strict())
      .optional(),
    patches: z.array(z.object({ path: z.string() }).strict()).optional(),
  })
  .strict();

function readDocs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      return doc.toJS() as Doc | null;
    })
    .filter((doc): doc is Doc => doc !== null);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Strategic merge as kustomize applies it to the fields used here: maps merge, `null` deletes a
 * key, lists of objects with a `name` (containers, env, ports, volumes, volumeMounts) merge by
 * name, every other list is replaced.
 */
function merge(target: unknown, patch: unknown): unknown {
  if (isObject(target) && isObject(patch)) {
    const out: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete out[key];
      else out[key] = key in out ? merge(out[key], value) : value;
    }
    return out;
  }
  if (
    Array.isArray(target) &&
    Array.isArray(patch) &&
    [...target, ...patch].every((item) => isObject(item) && typeof item.name === 'string')
  ) {
    const out = [...(target as Record<string, unknown>[])];
    for (const item of patch as Record<string, unknown>[]) {
      const at = out.findIndex((existing) => existing.name === item.name);
      if (at === -1) out.push(item);
      else out[at] = merge(out[at], item) as Record<string, unknown>;
    }
    return out;
  }
  return patch;
}

function render(dir: string): Doc[] {
  const kustomization = kustomizationSchema.parse(readDocs(join(dir, 'kustomization.yaml'))[0]);
  let docs: Doc[] = [];
  for (const resource of kustomization.resources) {
    const path = resolve(dir, resource);
    docs.push(...(statSync(path).isDirectory() ? render(path) : readDocs(path)));
  }
  for (const { path } of kustomization.patches ?? []) {
    for (const patch of readDocs(join(dir, path))) {
      const at = docs.findIndex(
        (doc) => doc.kind === patch.kind && doc.metadata.name === patch.metadata.name,
      );
      if (at === -1) throw new Error(`${path}: no ${patch.kind} ${patch.metadata.name} to patch`);
      docs[at] = merge(docs[at], patch) as Doc;
    }
  }
  for (const image of kustomization.images ?? []) {
    docs = docs.map((doc) => {
      const spec = (doc.spec as { template?: { spec?: { containers?: { image: string }[] } } })
        ?.template?.spec;
      for (const container of spec?.containers ?? []) {
        const name = container.image.split(':')[0];
        if (name === image.name || name === image.newName) {
          container.image = `${image.newName}:${image.newTag}`;
        }
      }
      return doc;
    });
  }
  if (kustomization.namespace) {
    for (const doc of docs) doc.metadata = { ...doc.metadata, namespace: kustomization.namespace };
  }
  return docs;
}

// ---------- structural schemas of the kinds used (the fields used; unknown fields are errors)

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a DNS-1123 name');
const labels = z.record(z.string(), z.string());
const metadata = z
  .object({
    name,
    namespace: name.optional(),
    labels: labels.optional(),
    annotations: labels.optional(),
  })
  .strict();
const cpu = z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, 'a CPU quantity');
const memory = z.string().regex(/^\d+(Mi|Gi)$/, 'a memory quantity');
const resources = z
  .object({
    requests: z.object({ cpu, memory }).strict(),
    limits: z.object({ cpu, memory }).strict(),
  })
  .strict();
const portRef = z.union([z.number().int().min(1).max(65535), z.string().min(1).max(15)]);
const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d+%$/)]);
const probe = z
  .object({
    httpGet: z
      .object({ path: z.string().startsWith('/'), port: portRef })
      .strict()
      .optional(),
    tcpSocket: z.object({ port: portRef }).strict().optional(),
    initialDelaySeconds: z.number().int().min(0).optional(),
    periodSeconds: z.number().int().min(1).optional(),
    timeoutSeconds: z.number().int().min(1).optional(),
    failureThreshold: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((p) => (p.httpGet ? 1 : 0) + (p.tcpSocket ? 1 : 0) === 1, 'exactly one probe handler');
const keyRef = z
  .object({ name, key: z.string().min(1), optional: z.boolean().optional() })
  .strict();
const envVar = z
  .object({
    name: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
    value: z.string().optional(),
    valueFrom: z
      .object({ secretKeyRef: keyRef.optional(), configMapKeyRef: keyRef.optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((e) => (e.value !== undefined) !== (e.valueFrom !== undefined), 'value xor valueFrom');
const container = z
  .object({
    name,
    image: z.string().min(1),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    command: z.array(z.string()).optional(),
    ports: z
      .array(
        z
          .object({
            name: z.string().max(15),
            containerPort: z.number().int().min(1).max(65535),
            protocol: z.enum(['TCP', 'UDP']).optional(),
          })
          .strict(),
      )
      .min(1),
    env: z.array(envVar).optional(),
    envFrom: z
      .array(
        z
          .object({
            configMapRef: z.object({ name }).strict().optional(),
            secretRef: z.object({ name }).strict().optional(),
          })
          .strict(),
      )
      .optional(),
    readinessProbe: probe,
    livenessProbe: probe,
    startupProbe: probe.optional(),
    resources,
    securityContext: z
      .object({
        allowPrivilegeEscalation: z.boolean(),
        capabilities: z.object({ drop: z.array(z.string()) }).strict(),
      })
      .strict()
      .optional(),
    volumeMounts: z
      .array(
        z
          .object({ name, mountPath: z.string().startsWith('/'), readOnly: z.boolean().optional() })
          .strict(),
      )
      .optional(),
  })
  .strict();
const deployment = z
  .object({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('Deployment'),
    metadata,
    spec: z
      .object({
        replicas: z.number().int().min(1),
        revisionHistoryLimit: z.number().int().min(0).optional(),
        selector: z.object({ matchLabels: labels }).strict(),
        strategy: z
          .object({
            type: z.literal('RollingUpdate'),
            rollingUpdate: z
              .object({ maxUnavailable: intOrPercent, maxSurge: intOrPercent })
              .strict(),
          })
          .strict()
          .optional(),
        template: z
          .object({
            metadata: z.object({ labels, annotations: labels.optional() }).strict(),
            spec: z
              .object({
                terminationGracePeriodSeconds: z.number().int().min(0).optional(),
                securityContext: z
                  .object({
                    runAsNonRoot: z.boolean(),
                    runAsUser: z.number().int(),
                    fsGroup: z.number().int(),
                  })
                  .strict()
                  .optional(),
                containers: z.array(container).min(1),
                volumes: z
                  .array(
                    z
                      .object({
                        name,
                        secret: z
                          .object({ secretName: name, defaultMode: z.number().int().optional() })
                          .strict(),
                      })
                      .strict(),
                  )
                  .optional(),
              })
              .strict(),
          })
          .strict(),
      })
      .strict(),
  })
  .strict()
  .refine(
    (d) =>
      Object.entries(d.spec.selector.matchLabels).every(
        ([k, v]) => d.spec.template.metadata.labels[k] === v,
      ),
    'the selector must match the pod template labels',
  );
const service = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('Service'),
    metadata,
    spec: z
      .object({
        type: z.enum(['ClusterIP']).optional(),
        selector: labels,
        ports: z
          .array(
            z
              .object({
                name: z.string(),
                port: z.number().int().min(1).max(65535),
                targetPort: portRef,
                protocol: z.literal('TCP').optional(),
              })
              .strict(),
          )
          .min(1),
      })
      .strict(),
  })
  .strict();
const configMap = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('ConfigMap'),
    metadata,
    data: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()),
  })
  .strict();
const secret = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('Secret'),
    metadata,
    type: z.literal('Opaque'),
    stringData: z.record(z.string(), z.string().min(1)),
  })
  .strict();
const pdb = z
  .object({
    apiVersion: z.literal('policy/v1'),
    kind: z.literal('PodDisruptionBudget'),
    metadata,
    spec: z
      .object({
        maxUnavailable: z.number().int().min(1).optional(),
        minAvailable: z.number().int().min(1).optional(),
        selector: z.object({ matchLabels: labels }).strict(),
      })
      .strict()
      .refine((s) => (s.maxUnavailable === undefined) !== (s.minAvailable === undefined)),
  })
  .strict();
const ingressBackend = z
  .object({ service: z.object({ name, port: z.object({ name: z.string() }).strict() }).strict() })
  .strict();
const ingress = z
  .object({
    apiVersion: z.literal('networking.k8s.io/v1'),
    kind: z.literal('Ingress'),
    metadata,
    spec: z
      .object({
        ingressClassName: z.string(),
        tls: z.array(z.object({ hosts: z.array(z.string()), secretName: name }).strict()),
        rules: z.array(
          z
            .object({
              host: z.string(),
              http: z
                .object({
                  paths: z.array(
                    z
                      .object({
                        path: z.string().startsWith('/'),
                        pathType: z.enum(['Prefix', 'Exact']),
                        backend: ingressBackend,
                      })
                      .strict(),
                  ),
                })
                .strict(),
            })
            .strict(),
        ),
      })
      .strict(),
  })
  .strict();
const kafkaConfig = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const kafka = z
  .object({
    apiVersion: z.literal('kafka.strimzi.io/v1beta2'),
    kind: z.literal('Kafka'),
    metadata: metadata.refine(
      (m) =>
        m.annotations?.['strimzi.io/kraft'] === 'enabled' &&
        m.annotations['strimzi.io/node-pools'] === 'enabled',
      'KRaft with node pools',
    ),
    spec: z
      .object({
        kafka: z
          .object({
            version: z.string().regex(/^\d+\.\d+\.\d+$/),
            listeners: z
              .array(
                z
                  .object({
                    name: z.string().regex(/^[a-z0-9]{1,11}$/),
                    port: z.number().int().min(9092),
                    type: z.enum(['internal', 'route', 'loadbalancer', 'nodeport', 'ingress']),
                    tls: z.boolean(),
                  })
                  .strict(),
              )
              .min(1),
            config: kafkaConfig,
          })
          .strict(),
        entityOperator: z
          .object({ topicOperator: z.object({}).strict(), userOperator: z.object({}).strict() })
          .strict(),
      })
      .strict(),
  })
  .strict();
const nodePool = z
  .object({
    apiVersion: z.literal('kafka.strimzi.io/v1beta2'),
    kind: z.literal('KafkaNodePool'),
    metadata,
    spec: z
      .object({
        replicas: z.number().int().min(1),
        roles: z.array(z.enum(['controller', 'broker'])).min(1),
        storage: z
          .object({
            type: z.literal('jbod'),
            volumes: z.array(
              z
                .object({
                  id: z.number().int().min(0),
                  type: z.literal('persistent-claim'),
                  size: memory,
                  deleteClaim: z.boolean(),
                })
                .strict(),
            ),
          })
          .strict(),
        resources: resources.optional(),
      })
      .strict(),
  })
  .strict();
const kafkaTopic = z
  .object({
    apiVersion: z.literal('kafka.strimzi.io/v1beta2'),
    kind: z.literal('KafkaTopic'),
    metadata,
    spec: z
      .object({
        topicName: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/),
        partitions: z.number().int().min(1),
        replicas: z.number().int().min(1),
        config: kafkaConfig,
      })
      .strict(),
  })
  .strict();
const cnpgCluster = z
  .object({
    apiVersion: z.literal('postgresql.cnpg.io/v1'),
    kind: z.literal('Cluster'),
    metadata,
    spec: z
      .object({
        instances: z.number().int().min(1),
        imageName: z.string().optional(),
        primaryUpdateStrategy: z.enum(['unsupervised', 'supervised']).optional(),
        postgresql: z
          .object({ parameters: z.record(z.string(), z.string()) })
          .strict()
          .optional(),
        bootstrap: z
          .object({ initdb: z.object({ database: z.string(), owner: z.string() }).strict() })
          .strict(),
        storage: z.object({ size: memory }).strict(),
        resources: resources.optional(),
      })
      .strict(),
  })
  .strict();

const peer = z
  .object({
    podSelector: z.object({ matchLabels: labels }).strict().optional(),
    namespaceSelector: z.object({ matchLabels: labels }).strict().optional(),
  })
  .strict()
  .refine((p) => (p.podSelector ? 1 : 0) + (p.namespaceSelector ? 1 : 0) === 1, 'one selector');
const networkPolicy = z
  .object({
    apiVersion: z.literal('networking.k8s.io/v1'),
    kind: z.literal('NetworkPolicy'),
    metadata,
    spec: z
      .object({
        podSelector: z.object({ matchLabels: labels }).strict(),
        policyTypes: z.array(z.literal('Ingress')),
        ingress: z.array(
          z
            .object({
              from: z.array(peer).optional(),
              ports: z.array(z.object({ port: portRef, protocol: z.literal('TCP') }).strict()),
            })
            .strict(),
        ),
      })
      .strict(),
  })
  .strict();

const SCHEMAS: Record<string, z.ZodTypeAny> = {
  NetworkPolicy: networkPolicy,
  Deployment: deployment,
  Service: service,
  ConfigMap: configMap,
  Secret: secret,
  PodDisruptionBudget: pdb,
  Ingress: ingress,
  Kafka: kafka,
  KafkaNodePool: nodePool,
  KafkaTopic: kafkaTopic,
  Cluster: cnpgCluster,
};

type DeploymentDoc = z.infer<typeof deployment>;
type ContainerDoc = z.infer<typeof container>;

// ---------- helpers over a rendered overlay

const serviceNames = readdirSync(join(root, 'services')).filter((dir) =>
  existsSync(join(root, 'services', dir, 'src', 'config.ts')),
);

/** Secrets an operator creates (CloudNativePG, cert-manager) or the installer creates by hand. */
const EXTERNAL_SECRETS = {
  'incubator-db-app': 'created by CloudNativePG for the incubator-db Cluster',
  'api-tls': 'created by cert-manager for the Ingress',
  'treasury-signer-key':
    'created by the installer (README; development: create-dev-secrets.sh), never committed',
  'founder-signing-key':
    'created by the installer (README; development: create-dev-secrets.sh), never committed',
} as const;

function find<T extends Doc>(docs: Doc[], kind: string, docName: string): T | undefined {
  return docs.find((d) => d.kind === kind && d.metadata.name === docName) as T | undefined;
}

/** The environment a container starts with; secrets the render does not hold become placeholders. */
function containerEnv(docs: Doc[], c: ContainerDoc): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const map = find<Doc & { data: Record<string, string> }>(
        docs,
        'ConfigMap',
        from.configMapRef.name,
      );
      if (!map) throw new Error(`${c.name}: ConfigMap ${from.configMapRef.name} is not rendered`);
      Object.assign(env, map.data);
    }
  }
  for (const variable of c.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (ref) env[variable.name] = secretValue(docs, ref.name, ref.key);
  }
  return env;
}

function secretValue(docs: Doc[], secretName: string, key: string): string {
  const rendered = find<Doc & { stringData: Record<string, string> }>(docs, 'Secret', secretName);
  if (rendered) {
    const value = rendered.stringData[key];
    if (value === undefined) throw new Error(`Secret ${secretName} has no key ${key}`);
    return value;
  }
  if (!(secretName in EXTERNAL_SECRETS)) throw new Error(`Secret ${secretName} comes from nowhere`);
  // The shape CloudNativePG gives `uri`; anything else a long random placeholder.
  return key === 'uri'
    ? `postgresql://incubator:${randomBytes(12).toString('hex')}@incubator-db-rw.incubator:5432/incubator`
    : `placeholder-${randomBytes(24).toString('hex')}`;
}

function referencedSecrets(docs: Doc[]): Set<string> {
  const names = new Set<string>();
  for (const doc of docs) {
    if (doc.kind === 'Deployment') {
      const spec = (doc as unknown as DeploymentDoc).spec.template.spec;
      for (const volume of spec.volumes ?? []) names.add(volume.secret.secretName);
      for (const c of spec.containers) {
        for (const e of c.env ?? [])
          if (e.valueFrom?.secretKeyRef) names.add(e.valueFrom.secretKeyRef.name);
        for (const e of c.envFrom ?? []) if (e.secretRef) names.add(e.secretRef.name);
      }
    }
    if (doc.kind === 'Ingress') {
      for (const tls of (doc as unknown as z.infer<typeof ingress>).spec.tls)
        names.add(tls.secretName);
    }
  }
  return names;
}

type LoadConfig = (env: NodeJS.ProcessEnv) => {
  PORT: number;
  NODE_ENV: string;
  KAFKA_BROKERS: string[];
};
const loadConfigOf = async (svc: string): Promise<LoadConfig> =>
  ((await import(join(root, 'services', svc, 'src', 'config'))) as { loadConfig: LoadConfig })
    .loadConfig;

// ---------- the checks

describe.each(['development', 'production'])('deploy/k8s/overlays/%s', (overlay) => {
  const docs = render(join(k8s, 'overlays', overlay));
  const deploymentOf = (svc: string) => {
    const d = find(docs, 'Deployment', svc);
    if (!d) throw new Error(`no Deployment ${svc}`);
    return deployment.parse(d);
  };

  it('renders only kinds it has a schema for, each valid against it, in one namespace', () => {
    expect(docs.length).toBeGreaterThan(20);
    for (const doc of docs) {
      const schema = SCHEMAS[doc.kind];
      expect([doc.kind, doc.metadata.name, schema ? 'known' : 'unknown']).toEqual([
        doc.kind,
        doc.metadata.name,
        'known',
      ]);
      const result = schema.safeParse(doc);
      expect([doc.kind, doc.metadata.name, result.success ? [] : result.error.issues]).toEqual([
        doc.kind,
        doc.metadata.name,
        [],
      ]);
    }
    const namespaces = new Set(docs.map((d) => d.metadata.namespace));
    expect(namespaces).toEqual(new Set([overlay === 'production' ? 'incubator' : 'incubator-dev']));
    const ids = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('runs every service in services/ as a Deployment, a Service and a PodDisruptionBudget', () => {
    expect(serviceNames).toEqual(
      expect.arrayContaining([
        'gateway',
        'applications',
        'grants',
        'milestones',
        'disbursements',
        'near-settlement',
      ]),
    );
    for (const svc of serviceNames) {
      const d = deploymentOf(svc);
      const s = service.parse(find(docs, 'Service', svc));
      const budget = pdb.parse(find(docs, 'PodDisruptionBudget', svc));
      const pod = d.spec.template.metadata.labels;
      for (const selector of [s.spec.selector, budget.spec.selector.matchLabels]) {
        expect(Object.entries(selector).every(([k, v]) => pod[k] === v)).toBe(true);
      }
      const c = d.spec.template.spec.containers[0];
      expect(c.command?.join(' ')).toBe(`node -r @swc-node/register services/${svc}/src/main.ts`);
      expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(c.image).toMatch(/^[^:]+:[A-Za-z0-9._-]+$/);
      expect(c.image).not.toMatch(/:latest$/);
    }
  });

  it.each(serviceNames)(
    "%s: the service's loadConfig accepts the environment the manifest gives; port and probes agree",
    async (svc) => {
      const d = deploymentOf(svc);
      const c = d.spec.template.spec.containers[0];
      const env = containerEnv(docs, c);
      const config = (await loadConfigOf(svc))(env);
      const http = c.ports.find((p) => p.name === 'http');
      expect(http?.containerPort).toBe(config.PORT);
      const s = service.parse(find(docs, 'Service', svc));
      expect(s.spec.ports).toEqual([
        expect.objectContaining({ name: 'http', port: config.PORT, targetPort: 'http' }),
      ]);
      expect(config.NODE_ENV).toBe(overlay === 'production' ? 'production' : 'development');
      // Kafka is the Strimzi cluster's bootstrap service on its plain listener.
      const cluster = kafka.parse(docs.find((x) => x.kind === 'Kafka'));
      const listener = cluster.spec.kafka.listeners.find((l) => l.name === 'plain');
      expect(config.KAFKA_BROKERS).toEqual([
        `${cluster.metadata.name}-kafka-bootstrap:${listener?.port}`,
      ]);
      // Every key file a variable names is a mounted Secret, read-only.
      const mounts = c.volumeMounts ?? [];
      for (const [variable, path] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) {
        const mount = mounts.find((m) => path.startsWith(`${m.mountPath}/`));
        expect([variable, mount?.readOnly]).toEqual([variable, true]);
        const volume = d.spec.template.spec.volumes?.find((v) => v.name === mount?.name);
        expect(volume?.secret.secretName).toBeDefined();
      }
    },
  );

  it('lets only the gateway (and Prometheus) reach the other services', () => {
    const policies = docs
      .filter((d) => d.kind === 'NetworkPolicy')
      .map((d) => networkPolicy.parse(d));
    for (const svc of serviceNames) {
      const pod = deploymentOf(svc).spec.template.metadata.labels;
      const own = policies.filter((p) =>
        Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => pod[k] === v),
      );
      expect([svc, own.length]).toEqual([svc, 1]);
      type Peer = z.infer<typeof peer> | { anyone: true };
      const peers: Peer[] = own[0].spec.ingress.flatMap(
        (rule): Peer[] => rule.from ?? [{ anyone: true }],
      );
      if (svc === 'gateway') {
        expect(peers).toEqual([{ anyone: true }]);
        continue;
      }
      expect(peers).toContainEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gateway' } },
      });
      expect(peers).toContainEqual({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
      });
      // Nothing opens a service to everyone; only the JWKS owner takes other incubator pods.
      expect(peers).not.toContainEqual({ anyone: true });
      const widened = peers.filter(
        (p) =>
          'podSelector' in p &&
          p.podSelector?.matchLabels['app.kubernetes.io/part-of'] !== undefined,
      );
      expect([svc, widened.length]).toEqual([svc, svc === 'applications' ? 1 : 0]);
      for (const rule of own[0].spec.ingress)
        expect(rule.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    }
  });

  it('gives each stateful service DATABASE_URL from the CloudNativePG app secret', () => {
    const db = cnpgCluster.parse(docs.find((x) => x.kind === 'Cluster'));
    for (const svc of serviceNames.filter((s) => s !== 'gateway')) {
      const c = deploymentOf(svc).spec.template.spec.containers[0];
      expect(c.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({
        name: `${db.metadata.name}-app`,
        key: 'uri',
      });
    }
  });

  it('mounts the treasury key as a file from a Secret into near-settlement only, never as an env var', () => {
    const settlement = deploymentOf('near-settlement');
    const env = containerEnv(docs, settlement.spec.template.spec.containers[0]);
    expect(env.NEAR_TREASURY_SECRET_KEY_FILE).toMatch(/^\/var\/run\/secrets\//);
    expect(settlement.spec.template.spec.volumes).toContainEqual(
      expect.objectContaining({
        secret: expect.objectContaining({ secretName: 'treasury-signer-key' }),
      }),
    );
    for (const svc of serviceNames) {
      const c = deploymentOf(svc).spec.template.spec.containers[0];
      expect(Object.keys(containerEnv(docs, c))).not.toContain('NEAR_TREASURY_SECRET_KEY');
      if (svc !== 'near-settlement') {
        expect(
          (deploymentOf(svc).spec.template.spec.volumes ?? []).map((v) => v.secret.secretName),
        ).not.toContain('treasury-signer-key');
      }
    }
  });

  it('has a KafkaTopic for every contract topic and its dead-letter topic, on the cluster', () => {
    const cluster = docs.find((x) => x.kind === 'Kafka')?.metadata.name;
    const topics = docs
      .filter((d) => d.kind === 'KafkaTopic')
      .map((d) => kafkaTopic.parse(d))
      .filter((t) => t.metadata.labels?.['strimzi.io/cluster'] === cluster);
    const expected = Object.values(TOPICS).flatMap((t) => [t, deadLetterTopic(t)]);
    expect(topics.map((t) => t.spec.topicName).sort()).toEqual([...expected].sort());
    const pool = nodePool.parse(docs.find((x) => x.kind === 'KafkaNodePool'));
    expect(pool.metadata.labels?.['strimzi.io/cluster']).toBe(cluster);
    for (const topic of topics) {
      expect(topic.spec.replicas).toBeLessThanOrEqual(pool.spec.replicas);
      expect(Number(topic.spec.config['min.insync.replicas'])).toBeLessThanOrEqual(
        topic.spec.replicas,
      );
    }
  });

  it('takes every Secret it references from a rendered Secret or a named external source', () => {
    const rendered = new Set(docs.filter((d) => d.kind === 'Secret').map((d) => d.metadata.name));
    for (const secretName of referencedSecrets(docs)) {
      expect([secretName, rendered.has(secretName) || secretName in EXTERNAL_SECRETS]).toEqual([
        secretName,
        true,
      ]);
    }
  });

  if (overlay === 'production') {
    it('production: no emulator, NODE_ENV=production, a real NEAR network, no Secret material', () => {
      expect(docs.filter((d) => /emulator/.test(d.metadata.name))).toEqual([]);
      expect(JSON.stringify(docs)).not.toMatch(/emulator|:3030/);
      expect(docs.filter((d) => d.kind === 'Secret')).toEqual([]);
      for (const svc of serviceNames) {
        const env = containerEnv(docs, deploymentOf(svc).spec.template.spec.containers[0]);
        expect([svc, env.NODE_ENV]).toEqual([svc, 'production']);
        expect(env.NEAR_NETWORK).not.toBe('local');
        expect(env.AUTH_JWT_SECRET).toBeUndefined();
      }
      for (const d of docs.filter((x) => x.kind === 'Deployment')) {
        expect(deployment.parse(d).spec.replicas).toBeGreaterThanOrEqual(2);
      }
      expect(cnpgCluster.parse(docs.find((x) => x.kind === 'Cluster')).spec.instances).toBe(3);
    });

    it('production: the Ingress routes only the API, docs and JWKS, never /metrics or /health', () => {
      const paths = docs
        .filter((d) => d.kind === 'Ingress')
        .flatMap((d) =>
          ingress.parse(d).spec.rules.flatMap((r) => r.http.paths.map((p) => p.path)),
        );
      expect(paths.sort()).toEqual(['/.well-known/jwks.json', '/docs', '/openapi.json', '/v1']);
    });
  } else {
    it('development: the NEAR emulator runs and the services point at it', () => {
      const emulator = deploymentOf('near-emulator');
      expect(emulator.spec.template.spec.containers[0].command?.join(' ')).toContain(
        'libs/testing/src/near-emulator/main.ts',
      );
      expect(find(docs, 'Service', 'near-emulator')).toBeDefined();
      const env = containerEnv(
        docs,
        deploymentOf('near-settlement').spec.template.spec.containers[0],
      );
      expect(env).toMatchObject({
        NEAR_NETWORK: 'local',
        NEAR_RPC_URL: 'http://near-emulator:3030',
      });
      for (const s of docs.filter((d) => d.kind === 'Secret')) {
        expect(s.metadata.labels?.['incubator.example.org/development-only']).toBe('true');
      }
    });
  }
});

describe('key material', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
    );

  it('no file under deploy/k8s holds a private key (development keys are made at install)', () => {
    for (const file of files(k8s)) {
      const text = readFileSync(file, 'utf8');
      expect([
        file,
        /BEGIN [A-Z ]*PRIVATE KEY|ed25519:[1-9A-HJ-NP-Za-km-z]{80,}/.test(text),
      ]).toEqual([file, false]);
    }
  });

  it('create-dev-secrets.sh makes keys the services take: a NEAR ed25519 key and a PKCS#8 Ed25519 PEM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dev-keys-'));
    const first = writeDevKeys(dir);
    const treasury = readFileSync(first.treasuryKey, 'utf8');
    expect(KeyPair.fromString(treasury as KeyPairString).toString()).toBe(treasury);
    const founder = createPrivateKey(readFileSync(first.founderPem));
    expect(founder.asymmetricKeyType).toBe('ed25519');
    expect(statSync(first.treasuryKey).mode & 0o077).toBe(0);
    expect(statSync(first.founderPem).mode & 0o077).toBe(0);
    // Fresh each time: two installs never share a key.
    const again = writeDevKeys(mkdtempSync(join(tmpdir(), 'dev-keys-')));
    expect(readFileSync(again.treasuryKey, 'utf8')).not.toBe(treasury);
    expect(readFileSync(again.founderPem, 'utf8')).not.toBe(readFileSync(first.founderPem, 'utf8'));
    expect(readFileSync(join(k8s, 'overlays/development/create-dev-secrets.sh'), 'utf8')).toContain(
      'deploy/k8s/overlays/development/dev-keys.ts',
    );
  });
});

describe('the kustomize-like renderer of this test', () => {
  it('merges lists of named items by name and deletes keys patched to null', () => {
    expect(
      merge(
        { a: [{ name: 'x', v: 1, w: 1 }], b: 1, c: [1, 2] },
        { a: [{ name: 'x', v: 2 }], b: null, c: [3] },
      ),
    ).toEqual({ a: [{ name: 'x', v: 2, w: 1 }], c: [3] });
  });

  it('fails on a patch whose target is not rendered (as kustomize does)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-'));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${join(k8s, 'base')}\npatches:\n  - path: p.yaml\n`,
    );
    writeFileSync(
      join(dir, 'p.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nope\n',
    );
    expect(() => render(dir)).toThrow('no Deployment nope to patch');
  });
});
