// STACKIT's service-account key flow, simulated: keys are registered (or generated) through the
// admin API, the token endpoint exchanges an RS512-signed assertion for a short-lived access token
// (a JWT the SDK decodes for its `exp`), and API calls must carry that token as a bearer.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, importSPKI, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { KeyRecord, Store } from './store.ts';
import type { CreateServiceAccountKeyOptions, ServiceAccountKey } from './types.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The audience real STACKIT keys carry. */
export const DEFAULT_AUDIENCE = 'https://stackit-service-account-prod.apps.01.cf.eu01.stackit.cloud';
const ACCESS_ISSUER = 'stackit-simulator';
const SA_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export type TokenReply = { status: number; body: Record<string, unknown> };
export type BearerCheck = { ok: true; projectIds?: string[] } | { ok: false; msg: string };

export class Auth {
  private readonly store: Store;
  private readonly ttlSeconds: () => number;
  private secretBytes: Uint8Array | undefined;

  constructor(store: Store, ttlSeconds: () => number) {
    this.store = store;
    this.ttlSeconds = ttlSeconds;
    if (!store.tokenSecret) store.tokenSecret = randomBytes(32).toString('base64');
  }

  private secret(): Uint8Array {
    this.secretBytes ??= new Uint8Array(Buffer.from(this.store.tokenSecret, 'base64'));
    return this.secretBytes;
  }

  /** Creates (or registers) a key and returns the JSON the portal would hand out. */
  createKey(opts: CreateServiceAccountKeyOptions, tokenEndpoint: string): ServiceAccountKey {
    const name = opts.name ?? `sim-sa-${randomBytes(4).toString('hex')}`;
    if (!SA_NAME.test(name))
      throw new Error('name: lowercase letters, digits and "-", at most 63 characters');
    let publicKey: string;
    let privateKey: string | undefined;
    if (opts.publicKey) {
      publicKey = opts.publicKey.trim();
      if (!publicKey.startsWith('-----BEGIN PUBLIC KEY-----')) {
        throw new Error('publicKey: expected an SPKI PEM ("-----BEGIN PUBLIC KEY-----")');
      }
    } else {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    }
    const now = new Date();
    const validUntil = opts.validUntil ?? new Date(now.getTime() + 365 * 24 * 3600 * 1000).toISOString();
    if (Number.isNaN(Date.parse(validUntil))) throw new Error('validUntil: expected an RFC 3339 date-time');
    const id = randomUUID();
    const rec: KeyRecord = {
      id,
      kid: id,
      publicKey,
      iss: `${name}@sa.stackit.cloud`,
      sub: randomUUID(),
      aud: DEFAULT_AUDIENCE,
      createdAt: now.toISOString(),
      validUntil,
      active: true,
      keyOrigin: privateKey ? 'GENERATED' : 'USER_PROVIDED',
    };
    if (opts.projectIds) rec.projectIds = [...opts.projectIds];
    this.store.keys.set(rec.kid, rec);
    const key: ServiceAccountKey = {
      id: rec.id,
      publicKey: rec.publicKey,
      createdAt: rec.createdAt,
      validUntil: rec.validUntil,
      keyType: 'USER_MANAGED',
      keyOrigin: rec.keyOrigin,
      keyAlgorithm: 'RSA_2048',
      active: true,
      credentials: { kid: rec.kid, iss: rec.iss, sub: rec.sub, aud: rec.aud, tokenEndpoint },
    };
    if (privateKey) key.credentials.privateKey = privateKey;
    return key;
  }

  /** POST /token with a form body. */
  async token(form: URLSearchParams): Promise<TokenReply> {
    const grant = form.get('grant_type');
    if (grant === JWT_BEARER_GRANT) {
      const assertion = form.get('assertion');
      if (!assertion) return oauthError(400, 'invalid_request', 'assertion is missing');
      const key = await this.verifyAssertion(assertion);
      if (typeof key === 'string') return oauthError(400, 'invalid_grant', key);
      return { status: 200, body: await this.issue(key) };
    }
    if (grant === 'refresh_token') {
      const refresh = form.get('refresh_token');
      if (!refresh) return oauthError(400, 'invalid_request', 'refresh_token is missing');
      const claims = await this.verifyOwn(refresh, 'refresh');
      if (typeof claims === 'string') return oauthError(400, 'invalid_grant', claims);
      const key = this.store.keys.get(String(claims.kid));
      if (!key || !keyUsable(key))
        return oauthError(400, 'invalid_grant', 'service account key is not active');
      return { status: 200, body: await this.issue(key) };
    }
    return oauthError(400, 'unsupported_grant_type', `grant_type must be ${JWT_BEARER_GRANT}`);
  }

  /** Checks an `Authorization` header. Messages never echo the token. */
  async checkBearer(header: string | undefined): Promise<BearerCheck> {
    if (!header) return { ok: false, msg: 'Unauthorized: missing bearer token' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1]) return { ok: false, msg: 'Unauthorized: malformed Authorization header' };
    const claims = await this.verifyOwn(m[1], 'access');
    if (typeof claims === 'string') return { ok: false, msg: `Unauthorized: ${claims}` };
    const key = this.store.keys.get(String(claims.kid));
    if (!key || !keyUsable(key)) return { ok: false, msg: 'Unauthorized: service account key is not active' };
    return Array.isArray(claims.projects)
      ? { ok: true, projectIds: claims.projects.map(String) }
      : { ok: true };
  }

  /** An access token for a registered key, without the assertion round trip (tests, harness). */
  async mintAccessToken(kid: string, ttlSeconds?: number): Promise<string> {
    const key = this.store.keys.get(kid);
    if (!key) throw new Error(`no service account key with kid ${kid}`);
    return (await this.issue(key, ttlSeconds)).access_token as string;
  }

  private async verifyAssertion(assertion: string): Promise<KeyRecord | string> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(assertion).kid;
    } catch {
      return 'assertion is not a JWT';
    }
    if (!kid) return 'assertion header has no kid';
    const key = this.store.keys.get(kid);
    if (!key) return `Key with kid ${kid.slice(0, 64)} was not found`;
    if (!keyUsable(key)) return 'service account key is not active';
    try {
      const pub = await importSPKI(key.publicKey, 'RS512');
      await jwtVerify(assertion, pub, {
        algorithms: ['RS512'],
        issuer: key.iss,
        subject: key.sub,
        audience: key.aud,
        requiredClaims: ['exp'],
        clockTolerance: 5,
      });
    } catch (e) {
      return `assertion rejected: ${describeJoseError(e)}`;
    }
    return key;
  }

  private async verifyOwn(token: string, use: 'access' | 'refresh'): Promise<JWTPayload | string> {
    try {
      const { payload } = await jwtVerify(token, this.secret(), {
        algorithms: ['HS256'],
        issuer: ACCESS_ISSUER,
        requiredClaims: ['exp'],
      });
      if (payload.token_use !== use) return `not an ${use} token`;
      return payload;
    } catch (e) {
      return describeJoseError(e);
    }
  }

  private async issue(key: KeyRecord, ttlSeconds = this.ttlSeconds()): Promise<Record<string, unknown>> {
    const common = { kid: key.kid, email: key.iss, ...(key.projectIds ? { projects: key.projectIds } : {}) };
    const access = await new SignJWT({ ...common, token_use: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ACCESS_ISSUER)
      .setSubject(key.sub)
      .setAudience('stackit')
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.secret());
    const refresh = await new SignJWT({ ...common, token_use: 'refresh' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ACCESS_ISSUER)
      .setSubject(key.sub)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 24 * 3600)
      .sign(this.secret());
    return {
      access_token: access,
      expires_in: ttlSeconds,
      refresh_token: refresh,
      scope: 'iaas',
      token_type: 'Bearer',
    };
  }
}

function keyUsable(k: KeyRecord): boolean {
  return k.active && Date.parse(k.validUntil) > Date.now();
}

function oauthError(status: number, error: string, description: string): TokenReply {
  return { status, body: { error, error_description: description } };
}

function describeJoseError(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature verification failed';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `claim ${String((e as { claim?: string }).claim)} is invalid`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'signing algorithm not allowed';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed token';
    default:
      return 'invalid token';
  }
}
