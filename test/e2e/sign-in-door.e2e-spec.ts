import { Types } from 'mongoose';
import request from 'supertest';
import { EventsService } from '../../src/audit/events/events.service';
import { CompletedSignIn, SignInService } from '../../src/sign-in/sign-in.service';
import { SignInRecord } from '../../src/sign-in/sign-in-record';
import { User } from '../../src/users/schemas/user.schema';
import { UsersRepository } from '../../src/users/users.repository';
import { GOOD_PASSWORD, newAccount, register, sessionCookie } from '../support/accounts';
import { newIdentity, SocialWorld, startSocialWorld } from '../support/social';

/** Every way in (the API, the pages, a provider's callback) ends at SignInService.complete. */
describe('the one sign-in door', () => {
  let world: SocialWorld;
  let door: jest.SpiedFunction<SignInService['complete']>;
  beforeAll(async () => {
    world = await startSocialWorld();
    // A spy that lets every call through: it only says who went through the door.
    door = jest.spyOn(world.t.app.get(SignInService), 'complete');
  });
  afterAll(async () => {
    door?.mockRestore();
    await world?.close();
  });
  beforeEach(() => door.mockClear());

  const http = () => world.t.http;

  /** The one sign-in the door saw, and the session it started. */
  async function throughTheDoor(): Promise<{ record: SignInRecord; done: CompletedSignIn }> {
    expect(door).toHaveBeenCalledTimes(1);
    const [record] = door.mock.calls[0];
    return { record, done: await (door.mock.results[0].value as Promise<CompletedSignIn>) };
  }

  /** The response's cookie is the door's session: it signs in as the door's user. */
  async function cookieIsTheDoors(response: request.Response, done: CompletedSignIn) {
    const cookie = sessionCookie(response);
    expect(cookie).toBe(`sid=${done.token}`);
    const me = await request(http()).get('/me').set('Cookie', cookie).expect(200);
    expect(me.body.user.id).toBe(String(done.user._id));
  }

  /** A page's form with its CSRF token, in a browser-like agent. */
  async function formOn(path: string) {
    const agent = request.agent(http());
    const page = await agent.get(path).set('Accept', 'text/html').expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path}`);
    return { agent, token };
  }

  it('POST /auth/register and POST /auth/login', async () => {
    const registered = await request(http()).post('/auth/register').send(newAccount()).expect(201);
    const { record, done } = await throughTheDoor();
    expect(record.proof).toEqual({ method: 'password' });
    expect(String(record.user._id)).toBe(registered.body.user.id);
    await cookieIsTheDoors(registered, done);

    door.mockClear();
    const { account } = await register(http());
    door.mockClear();
    const login = await request(http())
      .post('/auth/login')
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(200);
    const signedIn = await throughTheDoor();
    expect(signedIn.record.proof).toEqual({ method: 'password' });
    await cookieIsTheDoors(login, signedIn.done);
  });

  it('the /register and /login pages', async () => {
    const registering = await formOn('/register');
    const account = newAccount();
    const registered = await registering.agent
      .post('/register')
      .type('form')
      .send({
        _csrf: registering.token,
        email: account.email,
        password: GOOD_PASSWORD,
        passwordConfirm: GOOD_PASSWORD,
      })
      .expect(303);
    const { record, done } = await throughTheDoor();
    expect(record.proof).toEqual({ method: 'password' });
    await cookieIsTheDoors(registered, done);

    door.mockClear();
    const signingIn = await formOn('/login');
    const login = await signingIn.agent
      .post('/login')
      .type('form')
      .send({ _csrf: signingIn.token, login: account.email, password: GOOD_PASSWORD })
      .expect(303);
    const signedIn = await throughTheDoor();
    expect(signedIn.record.proof).toEqual({ method: 'password' });
    expect(signedIn.done.user._id).toEqual(done.user._id);
    await cookieIsTheDoors(login, signedIn.done);
  });

  it("a provider's callback, registering and signing in", async () => {
    const github = world.provider('github');
    const identity = newIdentity();
    const registered = await world.browser().signIn(github, identity);
    expect(registered.status).toBe(200);
    expect(registered.body.action).toBe('registered');
    const first = await throughTheDoor();
    expect(first.record.proof).toEqual({ method: 'provider', provider: 'github' });
    await cookieIsTheDoors(registered, first.done);

    door.mockClear();
    const signedIn = await world.browser().signIn(github, identity);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.action).toBe('signed-in');
    const second = await throughTheDoor();
    expect(second.record.proof).toEqual({ method: 'provider', provider: 'github' });
    await cookieIsTheDoors(signedIn, second.done);
  });

  it('ends the session the browser had when it signs in again', async () => {
    const { account, cookie } = await register(http());
    door.mockClear();
    const again = await request(http())
      .post('/auth/login')
      .set('Cookie', cookie)
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(200);
    const { done } = await throughTheDoor();
    await cookieIsTheDoors(again, done);
    await request(http()).get('/me').set('Cookie', cookie).expect(401);
  });

  it("refuses a disabled account's proof with ACCOUNT_DISABLED, and writes none of it", async () => {
    const { user } = await register(http());
    const _id = new Types.ObjectId(user.id);
    const db = world.t.db;
    await db.collection('users').updateOne({ _id }, { $set: { disabled: true } });
    const disabled = (await world.t.app.get(UsersRepository).findById(_id)) as User;
    const count = (collection: string) => db.collection(collection).countDocuments({ userId: _id });
    const [sessionsBefore, eventsBefore] = [await count('sessions'), await count('events')];
    // What a method that forgot to check would hand over: the proof and its audit event.
    const event = world.t.app.get(EventsService).recording({
      type: 'sign_in.succeeded',
      userId: _id,
      details: { method: 'password' },
    });

    await expect(
      world.t.app
        .get(SignInService)
        .complete(new SignInRecord(disabled, { method: 'password' }, [event]), {}),
    ).rejects.toMatchObject({ code: 'ACCOUNT_DISABLED' });
    expect(await count('sessions')).toBe(sessionsBefore);
    expect(await count('events')).toBe(eventsBefore);
  });
});
