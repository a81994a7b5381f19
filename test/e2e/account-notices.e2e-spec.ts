import { GOOD_PASSWORD, newAccount } from '../support/accounts';
import { socialWorldWithMail, SocialWorldWithMail } from '../support/fixtures';
import { MailServer, tokenIn } from '../support/mail';
import { Browser, newIdentity, SocialWorld } from '../support/social';

const NEW_PASSWORD = 'another passphrase, just as long';

/** Changes to how an account is entered are told to its owner, at a verified address only. */
describe('notices to the account’s address', () => {
  let mail: MailServer;
  let world: SocialWorld;

  let fixture: SocialWorldWithMail;
  beforeAll(async () => {
    fixture = await socialWorldWithMail();
    ({ mail, world } = fixture);
  });
  afterAll(() => fixture?.close());

  /** A password account, signed in in `browser`, with its address verified when asked. */
  async function account(verified: boolean) {
    const browser = world.browser();
    const details = newAccount();
    await browser.agent.post('/auth/register').send(details).expect(201);
    if (verified) {
      const token = tokenIn(await mail.next(details.email), '/verify-email');
      await browser.agent.post('/auth/email/verify').send({ token }).expect(200);
    }
    return { browser, email: details.email };
  }
  /** The subjects of the messages to `email` after the first `skip`, once `count` have come. */
  async function subjects(email: string, count: number, skip = 1) {
    await mail.next(email, skip + count);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return mail
      .to(email)
      .slice(skip)
      .map(({ subject }) => subject);
  }

  it('tells of a changed password, a connected and a disconnected provider, a removed password and a deletion', async () => {
    const { browser, email } = await account(true);
    await browser.agent
      .put('/me/password')
      .send({ currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD })
      .expect(204);
    await linkGitHub(browser);
    await browser.agent.delete('/me/password').expect(204);
    await linkGoogleThenDisconnect(browser);
    await browser.agent.delete('/me').send({}).expect(204);

    expect(await subjects(email, 6)).toEqual([
      'Your password was changed · Account',
      'GitHub was connected · Account',
      'Your password was removed · Account',
      'Google was connected · Account',
      'Google was disconnected · Account',
      'Your account was deleted · Account',
    ]);
  });

  it('sends nothing to an address that is not verified', async () => {
    const { browser, email } = await account(false);
    await browser.agent
      .put('/me/password')
      .send({ currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD })
      .expect(204);
    await linkGitHub(browser);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Only the verification link sent at registration.
    expect(mail.to(email).map(({ subject }) => subject)).toEqual([
      'Confirm your email address · Account',
    ]);
  });

  async function linkGitHub(browser: Browser) {
    expect((await browser.link(world.provider('github'), newIdentity())).status).toBe(200);
  }
  async function linkGoogleThenDisconnect(browser: Browser) {
    expect((await browser.link(world.provider('google'), newIdentity())).status).toBe(200);
    await browser.agent.delete('/me/connections/google').expect(204);
  }
});
