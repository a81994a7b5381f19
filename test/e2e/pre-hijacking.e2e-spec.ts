import request from 'supertest';
import { GOOD_PASSWORD, newAccount } from '../support/accounts';
import { socialWorldWithMail, SocialWorldWithMail } from '../support/fixtures';
import { MailServer, tokenIn } from '../support/mail';
import { newIdentity, SocialWorld } from '../support/social';

/**
 * The five account pre-hijacking attacks of Sudhodanan & Paverd (USENIX Security 2022): an attacker
 * prepares an account with the victim's address before the victim arrives, and waits. Each must fail.
 */
describe('account pre-hijacking', () => {
  let mail: MailServer;
  let world: SocialWorld;

  let fixture: SocialWorldWithMail;
  beforeAll(async () => {
    fixture = await socialWorldWithMail();
    ({ mail, world } = fixture);
  });
  afterAll(() => fixture?.close());

  /** The attacker registers the victim's address with a password of their own, in their browser. */
  async function attackerRegisters(email: string) {
    const attacker = world.browser();
    const account = newAccount({ email });
    const response = await attacker.agent.post('/auth/register').send(account).expect(201);
    return { attacker, username: response.body.user.username as string };
  }
  const signIn = (login: string, password = GOOD_PASSWORD) =>
    request(world.t.http).post('/auth/login').send({ login, password });
  /** The victim uses "forgot password" and the link that reaches their mailbox. */
  async function victimRecovers(email: string, nth: number) {
    await request(world.t.http).post('/auth/password/forgot').send({ email }).expect(202);
    const token = tokenIn(await mail.next(email, nth), '/reset-password');
    await request(world.t.http)
      .post('/auth/password/reset')
      .send({ token, newPassword: 'the victim’s own passphrase' })
      .expect(204);
  }

  it('classic–federated merge: the victim’s Google sign-in gets a clean account; the squatter loses the address', async () => {
    const victim = newIdentity();
    const { attacker, username } = await attackerRegisters(victim.email!);

    const signedUp = await world.browser().signIn(world.provider('google'), victim);
    expect(signedUp.status).toBe(200);
    expect(signedUp.body).toMatchObject({
      action: 'registered',
      user: { email: victim.email, emailVerified: true, hasPassword: false, providers: ['google'] },
    });
    // Nothing of the attacker's reaches the victim's account, and their password no longer opens it.
    await signIn(victim.email!).expect(401);
    const squatter = await attacker.me().expect(200);
    expect(squatter.body.user).toMatchObject({ username, email: null, emailVerified: false });
    expect(squatter.body.user.id).not.toBe(signedUp.body.user.id);
  });

  it('unexpired session: recovering the account ends the attacker’s session and password', async () => {
    const email = newAccount().email;
    const { attacker, username } = await attackerRegisters(email);
    await victimRecovers(email, 2);

    await attacker.me().expect(401);
    await signIn(email).expect(401);
    await signIn(username).expect(401);
    await signIn(email, 'the victim’s own passphrase').expect(200);
  });

  it('trojan identifier: a provider the attacker linked before the address was proven is unlinked', async () => {
    const email = newAccount().email;
    const { attacker } = await attackerRegisters(email);
    const trojan = newIdentity();
    expect((await attacker.link(world.provider('github'), trojan)).status).toBe(200);
    await victimRecovers(email, 2);

    const account = await request(world.t.http)
      .get('/me')
      .set('Cookie', await loginCookie(email, 'the victim’s own passphrase'));
    expect(account.body.user).toMatchObject({ emailVerified: true, providers: [] });
    // The attacker's GitHub now opens an account of its own, not the victim's.
    const viaTrojan = await world.browser().signIn(world.provider('github'), trojan);
    expect(viaTrojan.body.action).toBe('registered');
    expect(viaTrojan.body.user.id).not.toBe(account.body.user.id);
  });

  it('unexpired email change: a pending change to the victim’s address holds nothing', async () => {
    const attacker = world.browser();
    const own = newAccount();
    await attacker.agent.post('/auth/register').send(own).expect(201);
    const victim = newIdentity();
    const pending = await attacker.agent.patch('/me').send({ email: victim.email }).expect(202);
    expect(pending.body.user.pendingEmail).toBe(victim.email);
    const confirm = tokenIn(await mail.next(victim.email!), '/verify-email');

    const signedUp = await world.browser().signIn(world.provider('google'), victim);
    expect(signedUp.body).toMatchObject({
      action: 'registered',
      user: { email: victim.email, emailVerified: true },
    });
    // Even if the victim later opens the attacker's confirmation link, the address stays theirs.
    const refused = await request(world.t.http)
      .post('/auth/email/verify')
      .send({ token: confirm })
      .expect(409);
    expect(refused.body.error.code).toBe('EMAIL_TAKEN');
    expect((await attacker.me()).body.user).toMatchObject({ email: own.email, pendingEmail: null });
  });

  it('non-verifying identity provider: an address a provider did not verify neither merges nor blocks', async () => {
    const email = newAccount().email;
    // The attacker's own provider account claims the victim's address without verifying it.
    const viaFacebook = await world
      .browser()
      .signIn(world.provider('facebook'), newIdentity({ email }));
    const viaOkta = await world
      .browser()
      .signIn(world.provider('okta'), newIdentity({ email, emailVerified: false }));
    for (const response of [viaFacebook, viaOkta]) {
      expect(response.body).toMatchObject({ action: 'registered', user: { email: null } });
    }
    // The victim registers the address, and no provider of the attacker's opens that account.
    const victim = world.browser();
    const registered = await victim.agent
      .post('/auth/register')
      .send(newAccount({ email }))
      .expect(201);
    expect(registered.body.user).toMatchObject({ email, providers: [] });
    expect(registered.body.user.id).not.toBe(viaFacebook.body.user.id);
    expect(registered.body.user.id).not.toBe(viaOkta.body.user.id);
  });

  async function loginCookie(login: string, password: string): Promise<string> {
    const response = await signIn(login, password).expect(200);
    return (response.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
  }
});
