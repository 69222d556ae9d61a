// SSH keypairs (`/v2/keypairs`, global: in STACKIT they belong to the calling user): List, Get,
// Create (import of a public key), Update (labels) and Delete.
import type { components } from '../iaas/generated/iaas-v2.ts';
import { badRequest, conflict, notFound } from './api-error.ts';
import { type Handler, type OpContext, ok } from './context.ts';
import { newLabels, patchedLabels } from './labels.ts';
import { listSelected } from './query.ts';
import { labelledBody, nowIso, quote } from './request.ts';
import { md5Fingerprint, parseSshPublicKey } from './ssh-keys.ts';
import type { Keypair, Writable } from './types.ts';

type CreateKeyPairPayload = components['schemas']['CreateKeyPairPayload'];
type UpdateKeyPairPayload = components['schemas']['UpdateKeyPairPayload'];

const KEYPAIR_NAME = /^[A-Za-z0-9@._-]{1,127}$/;

function findKeypair(ctx: OpContext): Writable<Keypair> {
  const k = ctx.engine.store.keypairs.find((kp) => kp.name === ctx.params.keypairName);
  if (!k) throw notFound('keypair not found');
  return k;
}

export const listKeyPairs: Handler = (ctx) => listSelected(ctx, ctx.engine.store.keypairs);

export const getKeyPair: Handler = (ctx) => ok(findKeypair(ctx));

export const createKeyPair: Handler = (ctx) => {
  const b = labelledBody<CreateKeyPairPayload>(ctx, 'CreateKeyPairPayload', false);
  const key = parseSshPublicKey(b.publicKey);
  if (typeof key === 'string') throw badRequest(`publicKey: not a valid SSH public key: ${key}`);
  const fingerprint = md5Fingerprint(key.blob);
  // As the spec says: no name -> the key's comment, else its MD5 fingerprint ('-' separated, so
  // that it is a valid keypair name).
  const name =
    b.name ||
    (key.comment && KEYPAIR_NAME.test(key.comment) ? key.comment : fingerprint.replaceAll(':', '-'));
  if (name === '') throw badRequest('name: must not be empty');
  const { store } = ctx.engine;
  if (store.keypairs.some((k) => k.name === name))
    throw conflict(`keypair already exists: name ${quote(name)}`);
  const now = nowIso(ctx);
  const kp: Keypair = {
    name,
    publicKey: b.publicKey,
    fingerprint,
    labels: newLabels(b.labels),
    createdAt: now,
    updatedAt: now,
  };
  store.keypairs.push(kp);
  ctx.engine.changed();
  return ok(kp, 201);
};

export const updateKeyPair: Handler = (ctx) => {
  const kp = findKeypair(ctx);
  const b = labelledBody<UpdateKeyPairPayload>(ctx, 'UpdateKeyPairPayload', true);
  if (b.labels !== undefined) kp.labels = patchedLabels(kp.labels, b.labels);
  kp.updatedAt = nowIso(ctx);
  ctx.engine.changed();
  return ok(kp);
};

export const deleteKeyPair: Handler = (ctx) => {
  const kp = findKeypair(ctx);
  const { store } = ctx.engine;
  // Servers keep the name they were created with (Nova copies the key at boot).
  store.keypairs = store.keypairs.filter((k) => k !== kp);
  ctx.engine.changed();
  return { status: 204 };
};
