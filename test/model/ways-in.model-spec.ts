import fc from 'fast-check';
import { Types } from 'mongoose';
import { AccountService } from '../../src/account/account.service';
import { AdminUsersService } from '../../src/admin/admin-users.service';
import { AppError, ErrorCode } from '../../src/platform/http/app-error';
import type { Auth } from '../../src/sign-in/authenticated-request';
import { LinkingService } from '../../src/sign-in/methods/identities/linking/linking.service';
import { PasskeysService } from '../../src/sign-in/methods/passkeys/passkeys.service';
import { SignInRecord } from '../../src/sign-in/sign-in-record';
import { SignInService } from '../../src/sign-in/sign-in.service';
import type { User } from '../../src/users/schemas/user.schema';
import { UsersRepository } from '../../src/users/users.repository';
import { GOOD_PASSWORD } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';
import { SoftAuthenticator } from '../support/webauthn';

/**
 * The never-lock-out rule, proven against a model: random schedules of operations on one account,
 * each round run in parallel on the real services and the real database, every operation of a
 * round acting on the account as read before the round (as parallel requests do). After each
 * round:
 * - an enabled account still has a way in (a password, an identity of an enabled provider, or a
 *   passkey; two-step sign-in's second factor is never one);
 * - what the database holds is what some one-at-a-time order of the operations that succeeded
 *   gives, each allowed by the model at its turn: no update was lost, none got past the rule;
 * - every refusal is one the operation may give (no unexpected error).
 *
 * MODEL_RUNS sets how many schedules (`npm run test:model -- --runs 5000`), MODEL_SEED replays one.
 */
const RUNS = Number(process.env.MODEL_RUNS ?? 200);
const SEED = Number(process.env.MODEL_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Its own deadline: about 0.1 s a schedule alone, a few times that beside the rest of the suite. */
const TIMEOUT_MS = Math.max(180_000, RUNS * 1_000);

/** Google and GitHub are switched on; an identity of Facebook (switched off) signs nobody in. */
const ENABLED = ['google', 'github'] as const;
const PROVIDERS = ['google', 'github', 'facebook'] as const;
type Provider = (typeof PROVIDERS)[number];

/** What the rule is about, of one account. */
interface Model {
  password: boolean;
  identities: Provider[];
  /** The passkeys' public ids, sorted. */
  passkeys: string[];
  disabled: boolean;
}

type Operation =
  | { kind: 'setPassword' }
  | { kind: 'removePassword' }
  | { kind: 'link'; provider: (typeof ENABLED)[number] }
  | { kind: 'unlink'; provider: (typeof ENABLED)[number] }
  | { kind: 'adminUnlink'; provider: Provider }
  /** The id is the one the service gave, once it succeeded. */
  | { kind: 'addPasskey'; id?: string }
  /** The `nth` passkey the account had when the round began (mod how many), by `id`. */
  | { kind: 'removePasskey'; nth: number; id?: string }
  | { kind: 'disable' }
  | { kind: 'enable' };

function hasWayIn(model: Model): boolean {
  // Every account here has an email, so a password counts.
  return (
    model.password ||
    model.identities.some((key) => (ENABLED as readonly string[]).includes(key)) ||
    model.passkeys.length > 0
  );
}

/** The model's answer: the state after `operation`, or undefined when it must be refused. */
function apply(model: Model, operation: Operation): Model | undefined {
  const without = (key: Provider) => ({
    ...model,
    identities: model.identities.filter((linked) => linked !== key),
  });
  switch (operation.kind) {
    case 'setPassword':
      // Setting a first password; with one already, the current password would be asked for.
      return model.password ? undefined : { ...model, password: true };
    case 'removePassword': {
      const after = { ...model, password: false };
      return model.password && hasWayIn(after) ? after : undefined;
    }
    case 'link':
      // Linking the identity the account already has changes nothing, and succeeds.
      return model.identities.includes(operation.provider)
        ? model
        : { ...model, identities: [...model.identities, operation.provider].sort() };
    case 'unlink':
    case 'adminUnlink': {
      const after = without(operation.provider);
      return model.identities.includes(operation.provider) && hasWayIn(after) ? after : undefined;
    }
    case 'addPasskey':
      return { ...model, passkeys: [...model.passkeys, operation.id!].sort() };
    case 'removePasskey': {
      const after = { ...model, passkeys: model.passkeys.filter((id) => id !== operation.id) };
      return model.passkeys.includes(operation.id!) && hasWayIn(after) ? after : undefined;
    }
    case 'disable':
      return { ...model, disabled: true };
    case 'enable':
      return { ...model, disabled: false };
  }
}

/** The refusals each operation may give, as the API would answer them. */
const REFUSALS: Record<Operation['kind'], ErrorCode[]> = {
  setPassword: ['WRONG_PASSWORD', 'PASSWORD_CHANGED'],
  removePassword: ['NO_PASSWORD', 'LAST_LOGIN_METHOD'],
  link: [],
  unlink: ['NOT_LINKED', 'LAST_LOGIN_METHOD'],
  adminUnlink: ['NOT_LINKED', 'LAST_LOGIN_METHOD'],
  addPasskey: [],
  removePasskey: ['PASSKEY_NOT_FOUND', 'LAST_LOGIN_METHOD'],
  disable: [],
  enable: [],
};

const sameModel = (a: Model, b: Model) => JSON.stringify(a) === JSON.stringify(b);

/** Some order of `done`, each allowed at its turn, that takes `from` to `to`. */
function linearizable(from: Model, done: Operation[], to: Model): boolean {
  if (done.length === 0) return sameModel(from, to);
  return done.some((operation, index) => {
    const next = apply(from, operation);
    return (
      next !== undefined &&
      linearizable(
        next,
        done.filter((_, other) => other !== index),
        to,
      )
    );
  });
}

const enabledProvider = fc.constantFrom(...ENABLED);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.constant({ kind: 'setPassword' as const }),
  fc.constant({ kind: 'removePassword' as const }),
  enabledProvider.map((provider) => ({ kind: 'link' as const, provider })),
  enabledProvider.map((provider) => ({ kind: 'unlink' as const, provider })),
  fc.constantFrom(...PROVIDERS).map((provider) => ({ kind: 'adminUnlink' as const, provider })),
  fc.constant({ kind: 'addPasskey' as const }),
  fc.nat(4).map((nth) => ({ kind: 'removePasskey' as const, nth })),
  fc.constant({ kind: 'disable' as const }),
  fc.constant({ kind: 'enable' as const }),
);
const initial: fc.Arbitrary<Model> = fc
  .record({
    password: fc.boolean(),
    identities: fc.subarray([...PROVIDERS]),
    // How many passkeys to start with (their ids are the service's: these only count them).
    passkeys: fc.nat(2).map((count) => Array.from({ length: count }, (_, n) => `${n}`)),
    disabled: fc.constant(false),
  })
  .map((model) => ({ ...model, identities: model.identities.sort() }))
  .filter(hasWayIn);
const schedule = fc.record({
  initial,
  rounds: fc.array(fc.array(operation, { minLength: 1, maxLength: 5 }), {
    minLength: 1,
    maxLength: 3,
  }),
});

describe('the never-lock-out rule, against a model', () => {
  let world: TestApp;
  let users: UsersRepository;
  let linking: LinkingService;
  let account: AccountService;
  let admin: AdminUsersService;
  let signIn: SignInService;
  let passkeys: PasskeysService;

  beforeAll(async () => {
    world = await createTestApp({
      env: {
        GOOGLE_CLIENT_ID: 'g-id',
        GOOGLE_CLIENT_SECRET: 'g-secret',
        GITHUB_CLIENT_ID: 'gh-id',
        GITHUB_CLIENT_SECRET: 'gh-secret',
      },
    });
    users = world.app.get(UsersRepository);
    linking = world.app.get(LinkingService);
    account = world.app.get(AccountService);
    admin = world.app.get(AdminUsersService);
    signIn = world.app.get(SignInService);
    passkeys = world.app.get(PasskeysService);
  });
  afterAll(() => world?.close());

  let counter = 0;
  const PASSWORD_HASH = '$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA';
  const subject = (id: Types.ObjectId, provider: string) => `${provider}-${String(id)}`;

  /** An account in the `model`'s state, signed in once (the session its own operations use). */
  async function accountLike(model: Model): Promise<{ id: Types.ObjectId; sessionId: string }> {
    counter += 1;
    const created = await users.create({
      usernameBase: `model${counter}`,
      email: `model${counter}-${Date.now()}@example.test`,
    });
    for (const provider of model.identities) {
      await users.linkIdentity(created._id, { provider, subject: subject(created._id, provider) });
    }
    for (let count = 0; count < model.passkeys.length; count += 1) {
      await addPasskey(await users.findById(created._id));
    }
    const user = (await users.findById(created._id))!;
    const signedIn = await signIn.complete(new SignInRecord(user, { method: 'password' }), {});
    // These accounts have no two-step sign-in: the door signs them in at once.
    if (signedIn.status !== 'signed-in') throw new Error(`Not signed in: ${signedIn.status}`);
    // The password last, so that the account has one only when the model says so.
    if (model.password) await users.setPasswordHash(created._id, PASSWORD_HASH, undefined);
    return { id: created._id, sessionId: signedIn.session._id };
  }

  /** A passkey made by the software authenticator, through the service's ceremony. */
  async function addPasskey(user: User | null): Promise<string> {
    const options = await passkeys.creationOptions(user!);
    // A new authenticator each time: one that holds an excluded credential would refuse.
    const response = new SoftAuthenticator().create(options);
    const { id } = await passkeys.add(user!, response, undefined);
    return id;
  }

  async function stateOf(id: Types.ObjectId): Promise<Model> {
    const user = (await users.findById(id))!;
    return {
      password: typeof user.passwordHash === 'string',
      identities: user.identities.map(({ provider }) => provider as Provider).sort(),
      passkeys: (user.passkeys ?? []).map(({ id: passkey }) => passkey).sort(),
      disabled: user.disabled === true,
    };
  }

  function run(operation: Operation, auth: Auth): Promise<unknown> {
    const id = String(auth.user._id);
    switch (operation.kind) {
      case 'setPassword':
        return account.changePassword(auth, { newPassword: GOOD_PASSWORD });
      case 'removePassword':
        return linking.removePassword(auth);
      case 'link':
        return linking.link(auth.user, {
          provider: operation.provider,
          subject: subject(auth.user._id, operation.provider),
        });
      case 'unlink':
        return linking.unlink(auth, operation.provider);
      case 'adminUnlink':
        return admin.unlinkIdentity(id, operation.provider);
      case 'addPasskey':
        return addPasskey(auth.user).then((added) => (operation.id = added));
      case 'removePasskey':
        // Nothing to remove: the model refuses it too (PASSKEY_NOT_FOUND).
        return passkeys.remove(auth, operation.id ?? 'none');
      case 'disable':
        return admin.disable(id);
      case 'enable':
        return admin.enable(id);
    }
  }

  it(
    `holds for ${RUNS} random schedules of parallel operations (seed ${SEED})`,
    async () => {
      process.stderr.write(`never-lock-out model: ${RUNS} schedules, seed ${SEED}\n`);
      await fc.assert(
        fc.asyncProperty(schedule, async ({ initial: start, rounds }) => {
          const { id, sessionId } = await accountLike(start);
          try {
            await runSchedule(id, sessionId, start, rounds);
          } finally {
            await forget(id);
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
    TIMEOUT_MS,
  );

  /**
   * Each schedule's account goes once it is checked, with what it wrote: a long run (thousands of
   * schedules) then works on a database of the same size throughout, not an ever larger one.
   */
  async function forget(id: Types.ObjectId): Promise<void> {
    await users.delete(id);
    for (const collection of ['sessions', 'events']) {
      await world.db.collection(collection).deleteMany({ userId: id });
    }
  }

  async function runSchedule(
    id: Types.ObjectId,
    sessionId: string,
    start: Model,
    rounds: Operation[][],
  ): Promise<void> {
    let before = await stateOf(id);
    expect({ ...before, passkeys: before.passkeys.length }).toEqual({
      ...start,
      passkeys: start.passkeys.length,
    });
    for (const round of rounds) {
      const user: User = (await users.findById(id))!;
      const auth = { user, session: { _id: sessionId } } as Auth;
      // Each round's operations are fresh objects: a passkey's id is filled in as it is known.
      const operations = round.map((step): Operation => {
        if (step.kind !== 'removePasskey') return { ...step };
        const ids = user.passkeys?.map(({ id: passkey }) => passkey) ?? [];
        return { ...step, id: ids.length > 0 ? ids[step.nth % ids.length] : undefined };
      });
      const outcomes = await Promise.allSettled(operations.map((step) => run(step, auth)));
      const done: Operation[] = [];
      outcomes.forEach((outcome, index) => {
        if (outcome.status === 'fulfilled') {
          done.push(operations[index]);
          return;
        }
        const error: unknown = outcome.reason;
        if (!(error instanceof AppError) || !REFUSALS[round[index].kind].includes(error.code)) {
          throw new Error(`${round[index].kind} failed unexpectedly`, { cause: error });
        }
      });
      const after = await stateOf(id);
      if (!after.disabled) expect(hasWayIn(after)).toBe(true);
      if (!linearizable(before, done, after)) {
        throw new Error(
          `No one-at-a-time order of ${JSON.stringify(done)} takes ${JSON.stringify(before)} to ${JSON.stringify(after)}`,
        );
      }
      before = after;
    }
  }
});
